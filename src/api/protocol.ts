/**
 * @module The operator's JSON API under /api/v1, as both sides see it: the
 * paths, the request query parameters and bodies as zod schemas (the routes
 * parse each request with them, once; their input types are what the CLI
 * sends), the response shapes, and the error body. Shared by the server
 * routes (api/routes.ts) and the CLI's client (cli/client.ts) so the two
 * cannot drift apart.
 */
import { z } from 'zod';
import { CertIssueRequest, CertRenewRequest } from '../model/cert-request.ts';
import { KIND_NAMES, KINDS, resolveKind, type Kind } from '../model/resources.ts';
import { FieldProblem } from '../model/zod-errors.ts';
import { ExplainInput } from '../mcp/explain.ts';
import type { ResourceView } from '../resources/controller.ts';
import type { ManifestProblem } from '../resources/load.ts';
import type { ExportSnapshot } from '../export/snapshot.ts';

export const API_PREFIX = '/api/v1';

export const API_PATHS = {
  apply: `${API_PREFIX}/apply`,
  delete: `${API_PREFIX}/delete`,
  resources: `${API_PREFIX}/resources`,
  explain: `${API_PREFIX}/explain`,
  certs: `${API_PREFIX}/certs`,
  certsIssue: `${API_PREFIX}/certs/issue`,
  certsRenew: `${API_PREFIX}/certs/renew`,
  export: `${API_PREFIX}/export`,
} as const;

/** Largest request body the API reads (manifests, JSON); larger gets 413. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** A flag in the query string: absent or `false` is false; `true`, or the name alone (`?dryRun`), is true. */
const Flag = z
  .enum(['true', 'false', ''], { message: 'expected true or false' })
  .optional()
  .transform((v) => v === 'true' || v === '');

const KIND_WORDS = KINDS.map((k) => KIND_NAMES[k].plural).join(', ');

/** POST apply / delete ?dryRun. */
export const EditQuery = z.object({ dryRun: Flag });

/** GET resources?kind=&name=: kind in any spelling resolveKind knows (domains, domain, Domain...). */
export const ResourcesQuery = z.object({
  kind: z
    .string({ message: `expected one of ${KIND_WORDS}` })
    .refine((word) => resolveKind(word) !== undefined, { message: `expected one of ${KIND_WORDS}` })
    .transform((word) => resolveKind(word)!),
  name: z.string().optional(),
});

/** GET explain?host=: the host as haproxy_explain_route takes it. */
export const ExplainQuery = z.object({ host: z.string({ message: 'required, e.g. ?host=app.example.com' }).pipe(ExplainInput.shape.host) });

/** GET export?workloads. */
export const ExportQuery = z.object({ workloads: Flag });

/** POST certs/issue: checked and normalised here (`*.x` is x with its wildcard); the manager does not parse it again. */
export const CertIssueBody = CertIssueRequest;

/** POST certs/renew. */
export const CertRenewBody = CertRenewRequest;

/** Every non-2xx answer: a message naming the field and value, plus them as data for ValidationError. */
export const ApiErrorBody = z.object({
  error: z.string(),
  field: z.string().optional(),
  value: z.unknown().optional(),
  reason: z.string().optional(),
  /** When several fields are wrong at once. */
  problems: z.array(FieldProblem).optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/** GET resources?kind=&name=: the items (one with name) and the directory's invalid manifests. */
export interface ResourcesResponse {
  kind: Kind;
  items: ResourceView[];
  problems: ManifestProblem[];
}

/** GET export?workloads=true|false: what `export kubernetes` builds from (export/snapshot.ts). */
export type ExportResponse = ExportSnapshot;
