/**
 * @module crds/ must equal what `npm run gen:crds` generates, and every CRD
 * must be a structural schema the Kubernetes API server would accept (the
 * rules of apiextensions validation.go that z.toJSONSchema's raw output breaks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { generateCrds, REPO_ROOT } from '../../scripts/gen-crds.ts';
import { toStructural, inlineRefs } from '../../src/resources/crd.ts';

test('committed crds/ equal the generator output (run `npm run gen:crds` when this fails)', async () => {
  const generated = generateCrds();
  const committed = (await readdir(join(REPO_ROOT, 'crds'))).filter((f) => f.endsWith('.yaml')).map((f) => `crds/${f}`).sort();
  assert.deepEqual(committed, Object.keys(generated).sort(), 'the same set of CRD files');
  for (const [file, content] of Object.entries(generated)) {
    assert.equal(await readFile(join(REPO_ROOT, file), 'utf8'), content, `${file} is stale`);
  }
});

test('generation is deterministic', () => {
  assert.deepEqual(generateCrds(), generateCrds());
});

type Node = Record<string, unknown>;

/** Lists every structural-schema violation under `node`. */
function violations(node: Node, path: string, inJunctor = false): string[] {
  const out: string[] = [];
  if ('$ref' in node || '$defs' in node || 'definitions' in node || '$schema' in node) out.push(`${path}: $ref/$defs/$schema`);
  if ('const' in node) out.push(`${path}: const`);
  if (inJunctor) {
    for (const k of ['type', 'description', 'default', 'nullable', 'additionalProperties']) if (k in node) out.push(`${path}: ${k} inside a junctor`);
  } else if (typeof node.type !== 'string') out.push(`${path}: no type`);
  if (node.properties && node.additionalProperties !== undefined) out.push(`${path}: additionalProperties beside properties`);
  for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Node>)) out.push(...violations(child, `${path}.${name}`));
  if (node.items) out.push(...violations(node.items as Node, `${path}[]`));
  if (typeof node.additionalProperties === 'object') out.push(...violations(node.additionalProperties as Node, `${path}.*`));
  for (const j of ['anyOf', 'oneOf', 'allOf']) {
    for (const [i, b] of ((node[j] ?? []) as Node[]).entries()) out.push(...violations(b, `${path}.${j}[${i}]`, true));
  }
  return out;
}

test('every CRD is apiextensions.k8s.io/v1 with a structural schema, status subresource and printer columns', () => {
  const files = generateCrds();
  assert.equal(Object.keys(files).length, 3);
  for (const [file, text] of Object.entries(files)) {
    const crd = parse(text) as Node;
    assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1', file);
    assert.equal(crd.kind, 'CustomResourceDefinition', file);
    const spec = crd.spec as Node;
    const names = spec.names as Node;
    assert.equal((crd.metadata as Node).name, `${names.plural}.haproxy-operator.io`);
    const [version] = spec.versions as Node[];
    assert.equal(version!.name, 'v1alpha1');
    assert.deepEqual(version!.subresources, { status: {} });
    const columns = (version!.additionalPrinterColumns as Node[]).map((c) => c.name);
    assert.ok(columns.includes('Ready') && columns.includes('Reason') && columns.includes('Age'), `${file}: ${columns}`);
    const schema = (version!.schema as Node).openAPIV3Schema as Node;
    assert.deepEqual(violations(schema, file), []);
    // Structural rule 4: only name is restricted under metadata.
    assert.deepEqual(Object.keys(((schema.properties as Node).metadata as Node).properties as Node), ['name']);
  }
});

test('the adapter inlines $ref, drops $schema and additionalProperties:false, and hoists types out of anyOf', () => {
  const raw = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { a: { $ref: '#/$defs/A' }, u: { anyOf: [{ type: 'string', enum: ['x'] }, { type: 'string', pattern: '^y' }] } },
    additionalProperties: false,
    $defs: { A: { type: 'integer', minimum: 1 } },
  };
  const out = toStructural(inlineRefs(raw, raw) as Node);
  assert.deepEqual(out, {
    type: 'object',
    properties: { a: { type: 'integer', minimum: 1 }, u: { type: 'string', anyOf: [{ enum: ['x'] }, { pattern: '^y' }] } },
  });
});

test('the adapter refuses what a CRD cannot express, naming the field', () => {
  assert.throws(() => toStructural({ type: 'object', properties: { x: {} } }), /\(root\)\.x: no type/);
  assert.throws(
    () => toStructural({ type: 'object', properties: { x: { anyOf: [{ type: 'string' }, { type: 'integer' }] } } }),
    /\(root\)\.x: anyOf branches of different types/,
  );
  const loop = { $defs: { A: { type: 'object', properties: { a: { $ref: '#/$defs/A' } } } }, $ref: '#/$defs/A' };
  assert.throws(() => inlineRefs(loop, loop), /recursive/);
});
