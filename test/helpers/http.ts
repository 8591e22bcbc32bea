/** @module Loopback HTTP helpers: a named backend server and a client that sets the Host header. */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Backend {
  port: number;
  name: string;
  requests: number;
  server: Server;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 answering `name` to every request (and /healthz with 200); with `echoUrl`, `name url` (what the proxy sent). */
export async function startBackend(name: string, port = 0, opts: { echoUrl?: boolean } = {}): Promise<Backend> {
  const backend = { requests: 0 } as Backend;
  const server = createServer((req, res) => {
    backend.requests += 1;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(opts.echoUrl ? `${name} ${req.url}` : name);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  Object.assign(backend, {
    port: (server.address() as AddressInfo).port,
    name,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return backend;
}

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** GET http://127.0.0.1:port/path with the given Host header; no keep-alive. With `tls`, over HTTPS with SNI `host` (any certificate). */
export async function get(port: number, host: string, path = '/', opts: { tls?: boolean; timeoutMs?: number } = {}): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path, headers: { host, connection: 'close' }, agent: false, timeout: opts.timeoutMs ?? 5000 };
    const onReply = (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    };
    const req = opts.tls ? httpsRequest({ ...options, servername: host.replace(/:.*/, ''), rejectUnauthorized: false }, onReply) : request(options, onReply);
    req.on('timeout', () => req.destroy(new Error(`GET ${host}${path} on :${port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** "STATUS BODY" of a GET, or "error MESSAGE": a one-line answer for polling and assertions. */
export async function getText(port: number, host: string): Promise<string> {
  try {
    const r = await get(port, host);
    return `${r.status} ${r.body}`;
  } catch (err) {
    return `error ${(err as Error).message}`;
  }
}
