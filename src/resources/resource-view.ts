/**
 * @module How a resource is shown by `get` (CLI, HTTP API, MCP): the manifest
 * as written, plus the metadata and status the operator fills in. The file a
 * resource came from is an annotation so `delete -f` and a person can find it.
 */
import type { Condition } from '../model/conditions.ts';
import { GROUP_VERSION, type Kind, type Resource } from '../model/resources.ts';
import type { LoadedResource } from './load.ts';
import type { StatusEntry } from './status-store.ts';

const SOURCE_FILE_ANNOTATION = 'haproxy-operator.io/source-file';

/** A resource as `get` shows it: the manifest plus operator-filled metadata and status. */
export interface ResourceView {
  apiVersion: string;
  kind: Kind;
  metadata: { name: string; generation: number; creationTimestamp: string; annotations: Record<string, string>; labels?: Record<string, string> };
  spec: Resource['spec'];
  status: { observedGeneration: number; conditions: Condition[] };
}

/** The view of a loaded resource; before its first reconcile it has no status entry yet. */
export function resourceView(e: LoadedResource, entry: StatusEntry | undefined, now: Date): ResourceView {
  const r = e.resource;
  const generation = entry?.generation ?? r.metadata.generation ?? 1;
  const metadata: ResourceView['metadata'] = {
    name: r.metadata.name,
    generation,
    creationTimestamp: entry?.createdAt ?? now.toISOString(),
    annotations: { ...(r.metadata.annotations ?? {}), [SOURCE_FILE_ANNOTATION]: e.file },
  };
  if (r.metadata.labels) metadata.labels = r.metadata.labels;
  return { apiVersion: GROUP_VERSION, kind: r.kind, metadata, spec: r.spec, status: { observedGeneration: generation, conditions: entry?.conditions ?? [] } };
}
