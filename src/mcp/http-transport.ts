/**
 * @module /mcp over streamable HTTP. Every request is judged first (Host,
 * trusted range by the proven client address, bearer token). Then: a request
 * carrying Mcp-Session-Id goes to its session's transport; an initialize
 * without one opens a session (stored in onsessioninitialized, dropped on
 * close, reaped when idle); any other POST without one is served statelessly
 * by a throw-away server, so one-shot clients such as curl work too.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from 'pino';
import type { McpAuth } from './auth.ts';
import type { McpServerFactory } from './server.ts';
import type { RouteContext } from '../http/listener.ts';

export interface McpHttpDeps {
  logger: Logger;
  factory: McpServerFactory;
  auth: McpAuth;
  /** A session with no request for this long is closed; default 15 minutes. */
  sessionIdleMs?: number;
  /** Most sessions kept; the longest idle one is closed to make room. Default 100. */
  maxSessions?: number;
  /** Largest POST body read, in bytes; default 4 MiB. */
  maxBodyBytes?: number;
  now?: () => number;
}

export interface McpHttpHandler {
  /** Route handler for the listener's /mcp. */
  handle(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void>;
  /** Closes sessions idle longer than sessionIdleMs (none with a request in flight); returns how many. */
  reapIdle(): Promise<number>;
  sessionCount(): number;
  /** Stops the reaper and closes every session. */
  close(): Promise<void>;
}

interface Session {
  id?: string;
  server: McpServer;
  transport: StreamableHTTPServerTransport;
  lastSeen: number;
  inflight: number;
  client: string;
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyError(413, -32600, `request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BodyError(400, -32700, 'parse error: body is not JSON');
  }
}

function isInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
}

/** Creates the /mcp handler; starts an unref'd reaper timer. */
export function createMcpHttpHandler(deps: McpHttpDeps): McpHttpHandler {
  const log = deps.logger.child({ module: 'mcp-http' });
  const now = deps.now ?? Date.now;
  const idleMs = deps.sessionIdleMs ?? 15 * 60_000;
  const maxSessions = deps.maxSessions ?? 100;
  const maxBody = deps.maxBodyBytes ?? 4 * 1024 * 1024;
  const sessions = new Map<string, Session>();

  async function closeSession(s: Session, why: string): Promise<void> {
    if (s.id) sessions.delete(s.id);
    log.info({ session: s.id, client: s.client, why }, 'MCP session closed');
    await s.server.close().catch((err: unknown) => log.warn({ err }, 'closing MCP session failed'));
  }

  async function reapIdle(): Promise<number> {
    const cutoff = now() - idleMs;
    const idle = [...sessions.values()].filter((s) => s.inflight === 0 && s.lastSeen < cutoff);
    await Promise.all(idle.map((s) => closeSession(s, 'idle')));
    return idle.length;
  }

  async function makeRoom(): Promise<void> {
    if (sessions.size < maxSessions) return;
    const oldest = [...sessions.values()].filter((s) => s.inflight === 0).sort((a, b) => a.lastSeen - b.lastSeen)[0];
    if (oldest) await closeSession(oldest, `more than ${maxSessions} sessions`);
  }

  function track(s: Session, res: ServerResponse): void {
    s.inflight += 1;
    s.lastSeen = now();
    res.once('close', () => {
      s.inflight -= 1;
      s.lastSeen = now();
    });
  }

  async function openSession(req: IncomingMessage, res: ServerResponse, body: unknown, client: string): Promise<void> {
    await makeRoom();
    const server = deps.factory();
    const session: Session = { server, lastSeen: now(), inflight: 0, client } as Session;
    session.transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Stored only once the id exists; storing earlier would race a client that reuses it at once.
      onsessioninitialized: (id) => {
        session.id = id;
        sessions.set(id, session);
        log.info({ session: id, client }, 'MCP session opened');
      },
    });
    // Set before connect: the SDK's Protocol chains its own onclose after ours.
    session.transport.onclose = () => {
      if (session.id) sessions.delete(session.id);
    };
    await server.connect(session.transport);
    track(session, res);
    await session.transport.handleRequest(req, res, body);
  }

  async function stateless(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const server = deps.factory();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.once('close', () => {
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  const timer = setInterval(() => void reapIdle(), Math.max(1000, Math.min(idleMs, 60_000)));
  timer.unref();

  return {
    reapIdle,
    sessionCount: () => sessions.size,

    async handle(req, res, ctx) {
      const decision = deps.auth.check(req.headers, ctx.client);
      const client = ctx.client.address ?? 'unknown';
      if (!decision.ok) {
        log.info({ client, via: ctx.client.via, status: decision.status, reason: decision.reason }, 'MCP request refused');
        return jsonRpcError(res, decision.status, -32001, decision.reason, decision.headers);
      }
      // The token itself is never put here: tools see only who called and how they were admitted.
      (req as IncomingMessage & { auth?: unknown }).auth = {
        token: '',
        clientId: client,
        scopes: [],
        extra: { clientAddress: client, via: ctx.client.via, principal: decision.principal },
      };
      const header = req.headers['mcp-session-id'];
      const sessionId = Array.isArray(header) ? header[0] : header;
      if (sessionId) {
        const s = sessions.get(sessionId);
        if (!s) return jsonRpcError(res, 404, -32001, 'session not found (expired or closed): initialize again');
        track(s, res);
        return s.transport.handleRequest(req, res);
      }
      if (req.method !== 'POST') {
        return jsonRpcError(res, 405, -32000, 'method not allowed without an Mcp-Session-Id (POST an initialize request first)', { Allow: 'POST' });
      }
      let body: unknown;
      try {
        body = await readJson(req, maxBody);
      } catch (err) {
        if (err instanceof BodyError) return jsonRpcError(res, err.status, err.code, err.message);
        throw err;
      }
      if (isInitialize(body)) return openSession(req, res, body, client);
      return stateless(req, res, body);
    },

    async close() {
      clearInterval(timer);
      await Promise.all([...sessions.values()].map((s) => closeSession(s, 'shutdown')));
    },
  };
}
