/**
 * @module The operator's JSON API under /api/v1, as both sides see it: the
 * paths, the request and response shapes, and the error body. Shared by the
 * server routes (api/routes.ts) and the CLI's client (cli/client.ts) so the
 * two cannot drift apart.
 */
import type { Kind } from '../model/resources.ts';
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

/** Every non-2xx answer: a message naming the field and value, plus them as data for ValidationError. */
export interface ApiErrorBody {
  error: string;
  field?: string;
  value?: unknown;
  reason?: string;
  /** When several fields are wrong at once. */
  problems?: Array<{ field: string; value: unknown; message: string }>;
}

/** GET resources?kind=&name=: the items (one with name) and the directory's invalid manifests. */
export interface ResourcesResponse {
  kind: Kind;
  items: ResourceView[];
  problems: ManifestProblem[];
}

/** GET export?workloads=true|false: what `export kubernetes` builds from (export/snapshot.ts). */
export type ExportResponse = ExportSnapshot;
