/**
 * @module The status page on the operator's listener: `GET /` (the page),
 * `/status/snapshot` (JSON), `/status/events` (server-sent events) and
 * `/status/explain?host=` (the CLI's explain text). Every route is judged
 * like /mcp and the API (Host header, trusted range or bearer token) and
 * refuses a request whose Origin is not the page's own. The page itself holds
 * no data: to a caller without access it is sent with 401, and it asks for
 * the token, which it then sends on every data request.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { HttpError, sendError, sendJson } from '../api/http-io.ts';
import { formatExplain } from '../cli/explain-command.ts';
import type { HttpListener, RouteContext } from '../http/listener.ts';
import { hostOfHeader, type McpAuth } from '../mcp/auth.ts';
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

/**
 * A browser sends Origin on cross-origin requests (and on same-origin ones
 * that are not GET); a page elsewhere must not read or drive the operator,
 * so an Origin naming another host or port than the Host header is refused.
 */
export function foreignOrigin(headers: IncomingMessage['headers']): string | undefined {
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return origin;
  }
  const host = headers.host;
  if (host === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) return origin;
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  // A Host without a port means the scheme's default (HAProxy may publish the page on 443).
  const hostPort = /:(\d+)$/.exec(host.replace(/^\[[^\]]*\]/, ''))?.[1] ?? defaultPort;
  const same = url.hostname.replace(/^\[|\]$/g, '').toLowerCase() === hostOfHeader(host) && (url.port || defaultPort) === hostPort;
  return same ? undefined : origin;
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

  /** Method, Origin and Host checks (throwing HttpError), then the token rule's verdict. */
  function admit(req: IncomingMessage, ctx: RouteContext, path: string): { ok: true } | { ok: false; reason: string; headers: Record<string, string> } {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `method ${req.method} not allowed on ${path}; use GET`, { allow: 'GET, HEAD' });
    const origin = foreignOrigin(req.headers);
    if (origin !== undefined) throw new HttpError(403, `Origin ${JSON.stringify(origin.slice(0, 100))} is not this page's origin`);
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
