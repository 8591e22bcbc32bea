/**
 * @module Builds apiextensions.k8s.io/v1 CustomResourceDefinitions from the
 * zod resource schemas (pure; scripts/gen-crds.ts writes them to crds/).
 * z.toJSONSchema's output is adapted to what the Kubernetes API server
 * accepts as a structural schema (apiextensions validation.go): no $ref or
 * definitions, no $schema, no additionalProperties:false beside properties,
 * no type/description inside anyOf/oneOf, a type on every node, and only
 * metadata.name restricted under metadata.
 */
import { z } from 'zod';
import { stringify } from 'yaml';
import { API_GROUP, API_VERSION, KIND_NAMES, KINDS, RESOURCE_SCHEMAS, type Kind } from '../model/resources.ts';

type Json = Record<string, unknown>;

const JUNCTORS = ['anyOf', 'oneOf', 'allOf'] as const;
// Keys the API server forbids inside a junctor branch (structural rule 3).
const FORBIDDEN_IN_JUNCTOR = ['type', 'description', 'default', 'nullable', 'additionalProperties', 'title'];
// Keys JSON Schema has but Kubernetes' JSONSchemaProps does not.
const UNSUPPORTED = ['$schema', '$id', 'propertyNames', 'const', 'examples', 'id', 'title'];

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolveRef(ref: string, root: Json): Json {
  const m = /^#\/(?:\$defs|definitions|components\/schemas)\/(.+)$/.exec(ref);
  const defs = (root.$defs ?? root.definitions ?? (root.components as Json | undefined)?.schemas) as Json | undefined;
  const target = m && defs ? defs[decodeURIComponent(m[1]!)] : undefined;
  if (!isObject(target)) throw new Error(`cannot inline $ref ${ref}`);
  return target;
}

/** Replaces every $ref by a copy of its target (the API server rejects $ref). Recursion is refused. */
export function inlineRefs(node: unknown, root: Json, seen: readonly string[] = []): unknown {
  if (Array.isArray(node)) return node.map((n) => inlineRefs(n, root, seen));
  if (!isObject(node)) return node;
  if (typeof node.$ref === 'string') {
    const ref = node.$ref;
    if (seen.includes(ref)) throw new Error(`recursive schema at ${ref}: CRDs cannot express recursion`);
    const { $ref: _drop, ...rest } = node;
    return inlineRefs({ ...resolveRef(ref, root), ...rest }, root, [...seen, ref]);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$defs' || k === 'definitions' || k === 'components') continue;
    out[k] = inlineRefs(v, root, seen);
  }
  return out;
}

function branchType(branch: Json): unknown {
  if (branch.type !== undefined) return branch.type;
  if (Array.isArray(branch.enum) && branch.enum.length > 0) return typeof branch.enum[0] === 'number' ? 'number' : typeof branch.enum[0];
  return undefined;
}

/**
 * Makes one JSON Schema node structural, recursively; `path` names the node
 * in the error thrown when no type can be given to it.
 */
export function toStructural(node: Json, path = '(root)'): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (UNSUPPORTED.includes(k)) continue;
    out[k] = v;
  }
  if (node.const !== undefined && out.enum === undefined) out.enum = [node.const];
  if (isObject(out.properties)) {
    const props: Json = {};
    for (const [name, child] of Object.entries(out.properties)) props[name] = toStructural(child as Json, `${path}.${name}`);
    out.properties = props;
    if (out.additionalProperties === false) delete out.additionalProperties;
  }
  if (isObject(out.additionalProperties)) out.additionalProperties = toStructural(out.additionalProperties, `${path}.*`);
  if (isObject(out.items)) out.items = toStructural(out.items, `${path}[]`);
  for (const j of JUNCTORS) {
    const branches = out[j];
    if (!Array.isArray(branches)) continue;
    const types = new Set(branches.map((b) => branchType(b as Json)).filter((t) => t !== undefined));
    if (out.type === undefined) {
      if (types.size !== 1) throw new Error(`${path}: ${j} branches of different types cannot be structural`);
      out.type = [...types][0];
    }
    out[j] = branches.map((b) => {
      const clean: Json = {};
      for (const [k, v] of Object.entries(b as Json)) if (!FORBIDDEN_IN_JUNCTOR.includes(k) && !UNSUPPORTED.includes(k)) clean[k] = v;
      if ((b as Json).const !== undefined) clean.enum = [(b as Json).const];
      return clean;
    });
  }
  if (out.type === undefined) throw new Error(`${path}: no type (structural schemas need one on every node)`);
  return out;
}

/** The openAPIV3Schema of a kind: zod -> JSON Schema (OpenAPI 3.0) -> structural. */
export function openApiSchema(kind: Kind): Json {
  const raw = z.toJSONSchema(RESOURCE_SCHEMAS[kind], { io: 'input', target: 'openapi-3.0', unrepresentable: 'throw' }) as Json;
  const inlined = inlineRefs(raw, raw) as Json;
  const schema = toStructural(inlined);
  const props = schema.properties as Json;
  // Structural rule 4: under metadata only name (and generateName) may be restricted.
  const meta = props.metadata as Json;
  const name = (meta.properties as Json).name as Json;
  props.metadata = { type: 'object', properties: { name: { type: 'string', maxLength: name.maxLength, pattern: name.pattern } } };
  // The API server sets apiVersion and kind itself; the literals add nothing there.
  props.apiVersion = { type: 'string', description: 'APIVersion of this object' };
  props.kind = { type: 'string', description: 'Kind of this object' };
  schema.required = ['spec'];
  return schema;
}

const READY = '.status.conditions[?(@.type=="Ready")]';

function printerColumns(kind: Kind): Json[] {
  const extra: Record<Kind, Json[]> = {
    Domain: [{ name: 'Hosts', type: 'string', jsonPath: '.spec.hosts' }],
    Certificate: [
      { name: 'DNS Names', type: 'string', jsonPath: '.spec.dnsNames' },
      { name: 'Issuer', type: 'string', jsonPath: '.spec.issuerRef.name' },
    ],
    Issuer: [{ name: 'Server', type: 'string', jsonPath: '.spec.acme.server' }],
  };
  return [
    { name: 'Ready', type: 'string', jsonPath: `${READY}.status` },
    { name: 'Reason', type: 'string', jsonPath: `${READY}.reason` },
    ...extra[kind],
    { name: 'Message', type: 'string', jsonPath: `${READY}.message`, priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
}

/** The CRD object of a kind. */
export function crdFor(kind: Kind): Json {
  const names = KIND_NAMES[kind];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${API_GROUP}` },
    spec: {
      group: API_GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural: names.plural,
        singular: names.singular,
        ...(names.shortNames.length > 0 ? { shortNames: names.shortNames } : {}),
        categories: ['haproxy-operator'],
      },
      scope: 'Cluster',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns(kind),
          schema: { openAPIV3Schema: openApiSchema(kind) },
        },
      ],
    },
  };
}

const HEADER = '# Generated by `npm run gen:crds` (scripts/gen-crds.ts) from src/model/resources.ts. Do not edit.\n';

/** Every CRD as YAML text keyed by file name (`domains.yaml`, ...); deterministic. */
export function renderCrds(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const kind of KINDS) {
    files[`${KIND_NAMES[kind].plural}.yaml`] = HEADER + stringify(crdFor(kind), { lineWidth: 0, aliasDuplicateObjects: false });
  }
  return files;
}
