/**
 * @module The operator's JSON API on its HTTP listener, under /api/v1: the
 * CLI's way into the running operator (apply/delete manifests, get
 * resources with status, explain a host, list/issue/renew certificates,
 * read what `export kubernetes` needs).
 * Every route is judged by the same rule as /mcp (Host, no foreign Origin,
 * trusted source range or bearer token), a POST must carry a JSON (or, for
 * manifests, YAML) Content-Type that no web page can send unasked, parses
 * its query and body once with the zod schemas of api/protocol.ts before
 * doing anything, and answers JSON; bad input is a 400 naming the field and
 * the value.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { CertManager } from '../acme/manager.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { HttpListener, RouteContext } from '../http/listener.ts';
import type { McpAuth } from '../mcp/auth.ts';
import type { ExplainResult } from '../mcp/explain.ts';
import { resourceKey } from '../model/resources.ts';
import type { ApplyResult, ResourceController } from '../resources/controller.ts';
import { formatProblem } from '../resources/load.ts';
import { withActor } from '../operations/actor.ts';
import type { ExportSnapshot } from '../export/snapshot.ts';
import { HttpError, parseJsonBody, parseQuery, readBody, sendError, sendJson } from './http-io.ts';
import { API_PATHS, CertIssueBody, CertRenewBody, DEFAULT_MAX_BODY_BYTES, EditQuery, ExplainQuery, ExportQuery, ResourcesQuery, type ResourcesResponse } from './protocol.ts';

export interface ApiDeps {
  auth: McpAuth;
  logger: Logger;
  /** Absent when the operator runs without a resources directory: apply/delete/resources answer 501. */
  resources?: ResourceController;
  /** The ACME certificate manager; absent: the certs routes answer 501. */
  certs?: Pick<CertManager, 'list' | 'issue' | 'renew'>;
  /** Explains one (validated) host; normally explainRoute from mcp/explain.ts. */
  explain: (host: string) => Promise<ExplainResult>;
  /** The export's read of the operator (export/collect.ts); absent: GET export answers 501. */
  exportSnapshot?: (opts: { workloads: boolean }) => Promise<ExportSnapshot>;
  /** Mutating calls are recorded here when given (the same audit.log as MCP). */
  audit?: AuditLog;
  maxBodyBytes?: number;
}

/**
 * Media types a mutating route reads. None is a CORS "simple" type
 * (text/plain, form data), so a web page cannot send one without a preflight.
 */
const JSON_TYPES = ['application/json'];
const MANIFEST_TYPES = ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

function requireContentType(req: IncomingMessage, accepted: readonly string[]): void {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!accepted.includes(type)) {
    throw new HttpError(415, `Content-Type ${JSON.stringify(type || '(none)')} is not accepted here; send ${accepted.join(' or ')}`, { accept: accepted.join(', ') });
  }
}

type Handler = (req: IncomingMessage, url: URL, ctx: RouteContext) => Promise<{ status?: number; body: unknown }>;

/** An edit with invalid manifests is bad input: 400, with every problem and an {error} summary. */
function answerEdit(result: ApplyResult): { status: number; body: unknown } {
  if (result.ok) return { status: 200, body: result };
  return { status: 400, body: { error: `${result.problems.length} problem(s) in the manifests; nothing was changed`, ...result } };
}

/** What an apply/delete changed, for the audit log: each resource as kind/name with its action (and changed fields), or the problems. */
function auditedEdit(result: ApplyResult): unknown {
  if (!result.ok) return { problems: result.problems.map(formatProblem) };
  return { resources: result.items.map((i) => ({ resource: `${i.kind}/${i.name}`, action: i.action, ...(i.changed ? { changed: i.changed } : {}) })) };
}

/** Mounts the /api/v1 routes on the listener. Nothing is read or started here. */
export function mountApi(listener: Pick<HttpListener, 'addRoute'>, deps: ApiDeps): void {
  const log = deps.logger.child({ module: 'api' });
  const maxBody = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const needResources = (): ResourceController => {
    if (!deps.resources) throw new HttpError(501, 'resources are not enabled in this operator: start it with --resources-dir');
    return deps.resources;
  };
  const needCerts = (): NonNullable<ApiDeps['certs']> => {
    if (!deps.certs) throw new HttpError(501, 'certificate issuance is not configured: set --acme-email and Cloudflare credentials (--cloudflare-credentials or --cloudflare-token-file)');
    return deps.certs;
  };

  async function audited<T>(tool: string, args: unknown, dryRun: boolean, ctx: RouteContext, fn: () => Promise<T>, describe?: (result: T) => unknown): Promise<T> {
    const caller = ctx.client.address ?? 'unknown';
    try {
      const result = await withActor(`api:${caller}`, fn);
      const failed = (result as { ok?: boolean }).ok === false;
      await deps.audit?.record({ tool, args, caller, outcome: failed ? 'error' : 'ok', dryRun, ...(describe ? { result: describe(result) } : {}) });
      return result;
    } catch (err) {
      await deps.audit?.record({ tool, args, caller, outcome: 'error', error: (err as Error).message, dryRun });
      throw err;
    }
  }

  function route(path: string, method: 'GET' | 'POST', handler: Handler, accepts: readonly string[] = JSON_TYPES): void {
    listener.addRoute(path, async (req, res: ServerResponse, ctx) => {
      try {
        const decision = deps.auth.check(req.headers, ctx.client);
        if (!decision.ok) throw new HttpError(decision.status, decision.reason, decision.headers);
        if (req.method !== method) throw new HttpError(405, `method ${req.method} not allowed on ${path}; use ${method}`, { allow: method });
        if (method === 'POST') requireContentType(req, accepts);
        const url = new URL(req.url ?? path, 'http://api.invalid');
        const { status = 200, body } = await handler(req, url, ctx);
        sendJson(res, status, body);
      } catch (err) {
        // The body may be unread (auth failure, 413): don't keep the socket for more of it.
        if (!req.complete) res.setHeader('connection', 'close');
        sendError(res, err, log, path);
      }
    });
  }

  route(API_PATHS.apply, 'POST', async (req, url, ctx) => {
    const { dryRun } = parseQuery(EditQuery, url);
    const controller = needResources();
    const text = await readBody(req, maxBody);
    const result = await audited('api:apply', { bytes: text.length }, dryRun, ctx, () => controller.applyDocuments(text, { dryRun }), auditedEdit);
    return answerEdit(result);
  }, MANIFEST_TYPES);

  route(API_PATHS.delete, 'POST', async (req, url, ctx) => {
    const { dryRun } = parseQuery(EditQuery, url);
    const controller = needResources();
    const text = await readBody(req, maxBody);
    const result = await audited('api:delete', { bytes: text.length }, dryRun, ctx, () => controller.deleteDocuments(text, { dryRun }), auditedEdit);
    return answerEdit(result);
  }, MANIFEST_TYPES);

  route(API_PATHS.resources, 'GET', async (_req, url) => {
    const { kind, name } = parseQuery(ResourcesQuery, url);
    const controller = needResources();
    let items;
    if (name !== undefined) {
      const one = controller.get(kind, name);
      if (!one) throw new HttpError(404, `${resourceKey(kind, name)} not found`);
      items = [one];
    } else items = controller.list(kind);
    const body: ResourcesResponse = { kind, items, problems: controller.problems() };
    return { body };
  });

  route(API_PATHS.explain, 'GET', async (_req, url) => ({ body: await deps.explain(parseQuery(ExplainQuery, url).host) }));

  route(API_PATHS.export, 'GET', async (_req, url) => {
    const { workloads } = parseQuery(ExportQuery, url);
    if (!deps.exportSnapshot) throw new HttpError(501, 'export is not available in this operator');
    return { body: await deps.exportSnapshot({ workloads }) };
  });

  route(API_PATHS.certs, 'GET', async () => ({ body: await needCerts().list() }));

  route(API_PATHS.certsIssue, 'POST', async (req, _url, ctx) => {
    const certs = needCerts();
    const request = await parseJsonBody(CertIssueBody, req, maxBody);
    return { body: await audited('api:cert_issue', request, false, ctx, () => certs.issue(request)) };
  });

  route(API_PATHS.certsRenew, 'POST', async (req, _url, ctx) => {
    const certs = needCerts();
    const request = await parseJsonBody(CertRenewBody, req, maxBody);
    return { body: await audited('api:cert_renew', request, false, ctx, () => certs.renew(request)) };
  });
}
