/**
 * @module The status page on the operator's listener: `GET /` (the page),
 * `/status/snapshot` (JSON), `/status/events` (server-sent events) and
 * `/status/explain?host=` (the CLI's explain text). Every route is judged
 * like /mcp and the API by McpAuth (Host header, no foreign Origin or
 * cross-site fetch, trusted range or bearer token). The page itself holds
 * no data: to a caller without access it is sent with 401, and it asks for
 * the token, which it then sends on every data request.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { HttpError, sendError, sendJson } from '../api/http-io.ts';
import { formatExplain } from '../cli/explain-command.ts';
import type { HttpListener, RouteContext } from '../http/listener.ts';
import type { McpAuth } from '../mcp/auth.ts';
import type { ExplainResult } from '../mcp/explain.ts';
import { ValidationError } from '../model/errors.ts';
import { Hostname } from '../model/names.ts';
import { parseOrThrow } from '../model/zod-errors.ts';
import { createStatusHub, type StatusHub } from './hub.ts';
import { statusPageHtml } from './page.ts';
import { buildSnapshot, type StatusSources } from './snapshot.ts';

export const STATUS_PATHS = {
  page: '/',
  snapshot: '/status/snapshot',
  events: '/status/events',
  explain: '/status/explain',
} as const;

export interface StatusPageDeps {
  auth: McpAuth;
  sources: StatusSources;
  explain: (host: string) => Promise<ExplainResult>;
  logger: Logger;
  /** Rebuild period while a page is open; default 1000 ms. */
  tickMs?: number;
}

function securityHeaders(nonce: string): Record<string, string> {
  return {
    'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

/** Mounts the page and its data routes; returns the live feed, which the caller stops. */
export function mountStatusPage(listener: Pick<HttpListener, 'addRoute'>, deps: StatusPageDeps): StatusHub {
  const log = deps.logger.child({ module: 'status-page' });
  const hub = createStatusHub({ build: () => buildSnapshot(deps.sources), logger: deps.logger, ...(deps.tickMs ? { tickMs: deps.tickMs } : {}) });

  /** The method, then auth's verdict: a foreign Host or Origin (403) is thrown, a missing token returned. */
  function admit(req: IncomingMessage, ctx: RouteContext, path: string): { ok: true } | { ok: false; reason: string; headers: Record<string, string> } {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `method ${req.method} not allowed on ${path}; use GET`, { allow: 'GET, HEAD' });
    const decision = deps.auth.check(req.headers, ctx.client);
    if (decision.ok) return { ok: true };
    if (decision.status === 403) throw new HttpError(403, decision.reason);
    return { ok: false, reason: decision.reason, headers: decision.headers };
  }

  function route(path: string, handler: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>): void {
    listener.addRoute(path, async (req, res, ctx) => {
      try {
        const access = admit(req, ctx, path);
        if (!access.ok) throw new HttpError(401, access.reason, access.headers);
        await handler(req, res, new URL(req.url ?? path, 'http://status.invalid'));
      } catch (err) {
        sendError(res, err, log, path);
      }
    });
  }

  listener.addRoute(STATUS_PATHS.page, (req, res, ctx) => {
    try {
      const access = admit(req, ctx, STATUS_PATHS.page);
      const nonce = randomBytes(16).toString('base64');
      // Without access the same page is sent as a 401: it holds no data and asks for the token.
      res.writeHead(access.ok ? 200 : 401, { 'content-type': 'text/html; charset=utf-8', ...securityHeaders(nonce), ...(access.ok ? {} : access.headers) });
      res.end(req.method === 'HEAD' ? undefined : statusPageHtml(nonce));
    } catch (err) {
      sendError(res, err, log, STATUS_PATHS.page);
    }
  });

  route(STATUS_PATHS.snapshot, async (_req, res) => sendJson(res, 200, await hub.current()));

  route(STATUS_PATHS.events, async (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    if (req.method === 'HEAD') return void res.end();
    res.flushHeaders();
    hub.attach(res);
  });

  route(STATUS_PATHS.explain, async (_req, res, url) => {
    const raw = url.searchParams.get('host');
    if (raw === null) throw new ValidationError('host', undefined, 'required, e.g. ?host=app.example.com');
    const host = parseOrThrow(Hostname, raw, 'host');
    const result = await deps.explain(host);
    sendJson(res, 200, { host, text: formatExplain(result), wouldServe: result.wouldServe });
  });
  return hub;
}
