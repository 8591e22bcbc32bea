/**
 * @module A container's workload from Podman's own generator (the YAML of
 * `podman kube generate`), made to fit the export: named and labelled so the
 * container's Service selects it, the health-check path as a readiness
 * probe, and every environment value moved out to a Secret stub, because an
 * environment value may be a secret and none may appear in the output.
 */
import { parseAllDocuments } from 'yaml';
import { meta, secretStub, WORKLOAD_LABEL, type ExportObject, type ExportOptions, type KubeObject } from './objects.ts';
import type { ExportContainer } from './snapshot.ts';

const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'DaemonSet']);

interface PodSpecLike {
  containers?: Array<{ name?: string; command?: string[]; args?: string[]; env?: Array<{ name: string; value?: string; valueFrom?: unknown }>; readinessProbe?: unknown }>;
}

function podParts(doc: KubeObject): { labels: Record<string, string>; spec: PodSpecLike } | undefined {
  if (doc.kind === 'Pod') {
    const m = doc.metadata as { labels?: Record<string, string> };
    m.labels ??= {};
    return { labels: m.labels, spec: (doc.spec ?? {}) as PodSpecLike };
  }
  const template = (doc.spec as { template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpecLike } } | undefined)?.template;
  if (!template) return undefined;
  template.metadata ??= {};
  template.metadata.labels ??= {};
  const spec = doc.spec as { selector?: { matchLabels?: Record<string, string> } };
  spec.selector = { matchLabels: { ...(spec.selector?.matchLabels ?? {}) } };
  return { labels: template.metadata.labels, spec: template.spec ?? {} };
}

/**
 * The workload for `c` from the generator's YAML, with `service` as its name
 * and selector label. Returns the objects (workload, env Secret stub) or, when
 * the YAML holds no workload, only notes.
 */
export function buildWorkload(c: ExportContainer, service: string, yaml: string, opts: ExportOptions): { objects: ExportObject[]; notes: string[] } {
  let doc: KubeObject | undefined;
  try {
    doc = parseAllDocuments(yaml)
      .map((d) => d.toJS() as KubeObject | null)
      .find((d): d is KubeObject => d !== null && typeof d === 'object' && WORKLOAD_KINDS.has(d.kind));
  } catch (error) {
    return { objects: [], notes: [`container ${c.name}: Podman's generator gave YAML that does not parse (${(error as Error).message}): no workload`] };
  }
  const parts = doc ? podParts(doc) : undefined;
  if (!doc || !parts) return { objects: [], notes: [`container ${c.name}: Podman's generator gave no Pod or Deployment: no workload`] };
  const notes: string[] = [];
  const generated = doc.metadata.name;
  doc.metadata = { ...meta(service, opts), ...(doc.metadata.labels ? { labels: doc.metadata.labels } : {}) };
  delete doc.status;
  parts.labels[WORKLOAD_LABEL] = service;
  if (doc.kind !== 'Pod') (doc.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels[WORKLOAD_LABEL] = service;
  const objects: ExportObject[] = [];
  const containers = parts.spec.containers ?? [];
  const main = containers.find((x) => x.name === c.name) ?? containers[0];
  if (c.check && main) main.readinessProbe = { httpGet: { path: c.check, port: c.port } };
  else if (c.check) notes.push(`container ${c.name}: health-check path ${c.check} has no container spec to become a readiness probe in`);
  const envSecret = `${service}-env`;
  const keys: string[] = [];
  for (const container of containers) {
    for (const e of container.env ?? []) {
      if (e.value === undefined) continue;
      delete e.value;
      e.valueFrom = { secretKeyRef: { name: envSecret, key: e.name } };
      keys.push(e.name);
    }
  }
  if (containers.some((x) => (x.command?.length ?? 0) + (x.args?.length ?? 0) > 0)) {
    // Unlike env, a command line cannot be moved to a Secret without changing the program: say so.
    notes.push(`command and args are as Podman generated them from container ${c.name}: check them for secrets before committing this file`);
  }
  const workload: ExportObject = { object: doc, notes: [`from Podman's generator (${generated}), labelled ${WORKLOAD_LABEL}=${service} for its Service`, ...notes] };
  objects.push(workload);
  if (keys.length > 0) {
    const stub = secretStub(envSecret, keys.join(','), `the environment of container ${c.name} (podman inspect), since a value may be a secret`, opts);
    workload.notes.push(`environment values not exported (${keys.join(', ')}): they are read from Secret/${envSecret}`);
    objects.push(stub);
  }
  return { objects, notes: [] };
}
