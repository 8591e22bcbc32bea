/**
 * @module The operator's HTTP listener: one node:http server for /mcp,
 * /healthz, /readyz and routes other modules mount (/metrics). It listens on
 * TCP (default 127.0.0.1:8000) and, optionally, on a unix socket reserved for
 * HAProxy that requires a PROXY protocol v2 header. The client address a route
 * sees comes from the TCP peer or from that header, never from request headers.
 * Every route checks the Host header (DNS rebinding); connections from the
 * proxy socket (the public --mcp-host) reach only the published paths.
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { chmod, chown, lstat, unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import { readProxyHeader } from './proxy-protocol.ts';
import { createHostCheck } from './host-check.ts';

/** Who is on the other end of a request, as far as the operator can prove it. */
export interface ClientAddress {
  /** IP address of the client; undefined when unknown (PROXY LOCAL, unix peer). */
  address: string | undefined;
  /** tcp: the socket's peer; proxy-v2: the header HAProxy sent on the reserved unix socket; stdio: local pipe. */
  via: 'tcp' | 'proxy-v2' | 'stdio';
}

export interface RouteContext {
  client: ClientAddress;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, ctx: RouteContext) => void | Promise<void>;

export interface HttpListenerDeps {
  logger: Logger;
  /** TCP host to bind; default 127.0.0.1. */
  host?: string;
  /** TCP port; default 8000; 0 picks a free one. */
  port?: number;
  /** Unix socket for HAProxy (`server ... unix@<path> send-proxy-v2`); absent: no such listener. */
  proxySocketPath?: string;
  /** Group that may connect to the proxy socket (mode 0660); absent: mode 0600 (owner only). */
  proxySocketGid?: number;
  /** How long a proxy-socket connection may take to send its PROXY header; default 5000 ms. */
  proxyHeaderTimeoutMs?: number;
  /** Host names besides localhost and IP literals accepted in the Host header (every route); default none. */
  allowedHosts?: readonly string[];
  /**
   * Paths served to connections that came through HAProxy's proxy socket (the
   * public --mcp-host); every other path answers 404 there. Default ['/mcp'].
   */
  publishedPaths?: readonly string[];
  /** Open connections allowed per client address (TCP peer or PROXY header); more are closed at once. Default 128. */
  maxConnectionsPerClient?: number;
  /** An idle keep-alive connection is closed after this long; default 5000 ms. */
  keepAliveTimeoutMs?: number;
  /** Readiness probe for /readyz: true, false, or why not (the parts that are down); default: ready once listening. */
  ready?: () => boolean | string | Promise<boolean | string>;
}

export interface BoundAddress {
  host: string;
  port: number;
  /** http://host:port, with IPv6 hosts in brackets. */
  url: string;
  proxySocketPath?: string;
}

export interface HttpListener {
  /** Mounts `handler` for requests whose path is exactly `path` (query ignored). */
  addRoute(path: string, handler: RouteHandler): void;
  start(): Promise<BoundAddress>;
  /** Stops accepting, closes open connections, removes the proxy socket file. */
  stop(): Promise<void>;
}

function normaliseAddress(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (!st.isSocket()) throw new Error(`proxySocketPath=${JSON.stringify(path)}: exists and is not a socket; refusing to replace it`);
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Creates the listener; nothing is bound until start(). */
export function createHttpListener(deps: HttpListenerDeps): HttpListener {
  const log = deps.logger.child({ module: 'http' });
  const routes = new Map<string, RouteHandler>();
  // Sockets accepted on the HAProxy-only unix socket, with the address from their PROXY header.
  const proxied = new WeakMap<Socket, ClientAddress>();
  const sockets = new Set<Socket>();
  let httpServer: Server | undefined;
  let proxyServer: NetServer | undefined;
  let listening = false;
  const hostAllowed = createHostCheck(deps.allowedHosts);
  const published = new Set(deps.publishedPaths ?? ['/mcp']);
  const maxPerClient = deps.maxConnectionsPerClient ?? 128;
  const perClient = new Map<string, number>();
  let refusedSince = 0;

  routes.set('/healthz', (_req, res) => sendText(res, 200, 'ok'));
  routes.set('/readyz', async (_req, res) => {
    const ready = listening && (deps.ready ? await deps.ready() : true);
    if (ready === true) sendText(res, 200, 'ready');
    else sendText(res, 503, typeof ready === 'string' ? `not ready: ${ready}` : 'not ready');
  });

  function clientOf(req: IncomingMessage): ClientAddress {
    return proxied.get(req.socket) ?? { address: normaliseAddress(req.socket.remoteAddress), via: 'tcp' };
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const handler = routes.get(path);
    const client = clientOf(req);
    // Through the public host name only the published paths exist (no /metrics, /api/v1 on the internet).
    if (!handler || (client.via === 'proxy-v2' && !published.has(path))) return sendText(res, 404, 'not found');
    if (!hostAllowed(req.headers.host)) return sendText(res, 403, `Host header ${JSON.stringify(String(req.headers.host).slice(0, 100))} is not an allowed host name`);
    try {
      await handler(req, res, { client });
    } catch (err) {
      log.error({ err, path }, 'route handler failed');
      if (!res.headersSent) sendText(res, 500, 'internal error');
      else res.end();
    }
  }

  function track(socket: Socket): void {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  }

  /** Counts the connection against its client address; false (and closed) beyond the cap. */
  function admit(socket: Socket, address: string | undefined): boolean {
    const key = address ?? 'unknown';
    const open = perClient.get(key) ?? 0;
    if (open >= maxPerClient) {
      socket.destroy();
      // One line per burst, not one per refused connection.
      if (refusedSince === 0) log.warn({ client: key, limit: maxPerClient }, 'too many connections from one client: refusing more');
      refusedSince += 1;
      return false;
    }
    perClient.set(key, open + 1);
    socket.once('close', () => {
      const left = (perClient.get(key) ?? 1) - 1;
      if (left > 0) perClient.set(key, left);
      else perClient.delete(key);
      if (perClient.size === 0 && refusedSince > 0) {
        log.info({ refused: refusedSince }, 'connection burst over');
        refusedSince = 0;
      }
    });
    return true;
  }

  async function startProxySocket(path: string, server: Server): Promise<void> {
    await removeStaleSocket(path);
    const timeoutMs = deps.proxyHeaderTimeoutMs ?? 5000;
    proxyServer = createNetServer((socket) => {
      track(socket);
      readProxyHeader(socket, timeoutMs).then(
        (header) => {
          const address = normaliseAddress(header.sourceAddress);
          if (!admit(socket, address)) return;
          proxied.set(socket, { address, via: 'proxy-v2' });
          server.emit('connection', socket);
        },
        (err: Error) => {
          log.warn({ reason: err.message }, 'dropped proxy-socket connection without a valid PROXY v2 header');
          socket.destroy();
        },
      );
    });
    const ps = proxyServer;
    await new Promise<void>((resolve, reject) => {
      ps.once('error', reject);
      // The umask makes the socket owner-only from the moment it exists, so no
      // other local user can connect (and forge a PROXY header) before chmod.
      const previous = process.umask(0o177);
      try {
        ps.listen(path, () => {
          ps.removeListener('error', reject);
          resolve();
        });
      } finally {
        process.umask(previous);
      }
    });
    if (deps.proxySocketGid !== undefined) {
      await chown(path, process.getuid?.() ?? 0, deps.proxySocketGid);
      await chmod(path, 0o660);
    } else {
      await chmod(path, 0o600);
    }
  }

  return {
    addRoute(path, handler) {
      if (!path.startsWith('/')) throw new Error(`route path=${JSON.stringify(path)}: must start with /`);
      routes.set(path, handler);
    },

    async start() {
      if (httpServer) throw new Error('HTTP listener already started');
      const server = createHttpServer(
        // Idle and slow connections are closed within seconds, so they cannot pile up and exhaust descriptors.
        { keepAliveTimeout: deps.keepAliveTimeoutMs ?? 5000, headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1000 },
        (req, res) => void onRequest(req, res),
      );
      httpServer = server;
      server.on('connection', (socket: Socket) => {
        track(socket);
        if (!proxied.has(socket)) admit(socket, normaliseAddress(socket.remoteAddress));
      });
      const host = deps.host ?? '127.0.0.1';
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(deps.port ?? 8000, host, () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
      if (deps.proxySocketPath) await startProxySocket(deps.proxySocketPath, server);
      listening = true;
      const addr = server.address() as AddressInfo;
      const urlHost = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
      const bound: BoundAddress = { host: addr.address, port: addr.port, url: `http://${urlHost}:${addr.port}` };
      if (deps.proxySocketPath) bound.proxySocketPath = deps.proxySocketPath;
      if (host === '0.0.0.0' || host === '::') log.warn({ host }, 'listening on all interfaces: only the token and trusted ranges protect /mcp');
      log.info(bound, 'HTTP listener started');
      return bound;
    },

    async stop() {
      listening = false;
      const closing: Array<Promise<void>> = [];
      if (httpServer) {
        const s = httpServer;
        closing.push(new Promise((resolve) => s.close(() => resolve())));
      }
      if (proxyServer) {
        const p = proxyServer;
        closing.push(new Promise((resolve) => p.close(() => resolve())));
      }
      for (const socket of sockets) socket.destroy();
      await Promise.all(closing);
      if (deps.proxySocketPath && proxyServer) await unlink(deps.proxySocketPath).catch(() => undefined);
      httpServer = undefined;
      proxyServer = undefined;
    },
  };
}
