/**
 * @module /mcp over streamable HTTP. Every request is judged first (Host,
 * trusted range by the proven client address, bearer token). Then: a request
 * carrying Mcp-Session-Id goes to its session's transport; an initialize
 * without one opens a session (stored in onsessioninitialized, dropped on
 * close, reaped when idle, the least recently used closed beyond a hard cap
 * in total and per client address, even while it holds a stream); any other POST without one is served statelessly
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
  /** Most sessions kept; the least recently used one is closed to make room, open stream or not. Default 100. */
  maxSessions?: number;
  /** Most sessions kept per client address; its least recently used one is closed to make room. Default 50. */
  maxSessionsPerClient?: number;
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
  /** POSTs being answered (tool calls); a session busy with one is evicted last. */
  inflight: number;
  /** Open responses (the GET stream included), ended with the session so their sockets are freed. */
  open: Set<ServerResponse>;
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
  const maxPerClient = deps.maxSessionsPerClient ?? 50;
  const maxBody = deps.maxBodyBytes ?? 4 * 1024 * 1024;
  const sessions = new Map<string, Session>();

  async function closeSession(s: Session, why: string): Promise<void> {
    if (s.id) sessions.delete(s.id);
    log.info({ session: s.id, client: s.client, why }, 'MCP session closed');
    await s.server.close().catch((err: unknown) => log.warn({ err }, 'closing MCP session failed'));
    // A held GET stream would keep its socket (and descriptor) after the session is gone.
    for (const res of s.open) res.destroy();
  }

  async function reapIdle(): Promise<number> {
    const cutoff = now() - idleMs;
    const idle = [...sessions.values()].filter((s) => s.open.size === 0 && s.lastSeen < cutoff);
    await Promise.all(idle.map((s) => closeSession(s, 'idle')));
    return idle.length;
  }

  /** Least recently used first; one answering a tool call only when nothing else is left. */
  function evictionOrder(list: Session[]): Session[] {
    return list.sort((a, b) => Number(a.inflight > 0) - Number(b.inflight > 0) || a.lastSeen - b.lastSeen);
  }

  /** The caps are hard: a held stream does not protect a session (it was how 2,000 sessions exhausted the descriptors). */
  async function makeRoom(client: string): Promise<void> {
    const mine = [...sessions.values()].filter((s) => s.client === client);
    if (mine.length >= maxPerClient) await closeSession(evictionOrder(mine)[0]!, `more than ${maxPerClient} sessions from ${client}`);
    if (sessions.size >= maxSessions) await closeSession(evictionOrder([...sessions.values()])[0]!, `more than ${maxSessions} sessions`);
  }

  function track(s: Session, req: IncomingMessage, res: ServerResponse): void {
    const post = req.method === 'POST';
    if (post) s.inflight += 1;
    s.open.add(res);
    s.lastSeen = now();
    res.once('close', () => {
      if (post) s.inflight -= 1;
      s.open.delete(res);
      s.lastSeen = now();
    });
  }

  async function openSession(req: IncomingMessage, res: ServerResponse, body: unknown, client: string): Promise<void> {
    await makeRoom(client);
    const server = deps.factory();
    const session: Session = { server, lastSeen: now(), inflight: 0, open: new Set(), client } as Session;
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
    track(session, req, res);
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
        track(s, req, res);
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
