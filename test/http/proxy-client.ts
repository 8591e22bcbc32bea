/**
 * @module Plays HAProxy in tests: connects to the operator's proxy unix socket,
 * writes a PROXY v2 header claiming `source`, then sends one HTTP request.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { encodeProxyV2 } from '../../src/http/proxy-protocol.ts';

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request over the unix socket, preceded by a PROXY v2 header for `source` (omit it to send none). */
export function requestViaProxySocket(
  socketPath: string,
  source: string | undefined,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: { host: 'mcp.example.com', ...opts.headers },
        createConnection: () => {
          const sock = connect(socketPath);
          if (source) sock.write(encodeProxyV2({ address: source, port: 40000 }, { address: '127.0.0.1', port: 443 }));
          return sock;
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
