/**
 * @module The exported objects and notes as the builders share them: one
 * object with its kind, name and the notes that belong to it, and the small
 * constructors every builder uses (metadata with the namespace, Secret stubs
 * that say which key to fill and carry no value).
 */

/** A plain Kubernetes object (apiVersion, kind, metadata, ...). */
export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } & Record<string, unknown> };

/** One exported object and what about it Kubernetes cannot express (comments in the output). */
export interface ExportObject {
  object: KubeObject;
  notes: string[];
}

export interface ExportOptions {
  namespace?: string;
  /** Gateway name; default haproxy. */
  gateway: string;
  /** gatewayClassName; default haproxy. */
  gatewayClass: string;
  includeWorkloads: boolean;
}

export const WORKLOAD_LABEL = 'haproxy-operator.io/workload';
const FILL_KEY = 'haproxy-operator.io/fill-key';
const FILL_FROM = 'haproxy-operator.io/fill-from';

/** `Kind/name`, as notes and file names refer to an object. */
export function objectRef(o: KubeObject): string {
  return `${o.kind}/${o.metadata.name}`;
}

export function meta(name: string, opts: Pick<ExportOptions, 'namespace'>, extra: Record<string, unknown> = {}): KubeObject['metadata'] {
  return { name, ...(opts.namespace ? { namespace: opts.namespace } : {}), ...extra };
}

/**
 * A Secret with no data: `key` says what to fill and `from` where the value
 * lives on this host (a file path, a variable name, a setting), never the
 * value itself.
 */
export function secretStub(name: string, key: string, from: string, opts: Pick<ExportOptions, 'namespace'>, type = 'Opaque'): ExportObject {
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(name, opts, { annotations: { [FILL_KEY]: key, [FILL_FROM]: from } }),
    type,
  };
  return { object, notes: [`a stub with no value: fill key ${key} from ${from}`] };
}
