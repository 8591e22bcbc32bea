/**
 * @module deploy/examples/ checked two ways: against the CRDs' openAPIV3Schema
 * with ajv (a real JSON Schema validator) and against the zod schemas. Valid
 * examples pass both; each file in deploy/examples/invalid/ fails both, and
 * zod names the field its `# expect:` line gives.
 *
 * ajv runs the CRD schema the way the API server applies it under
 * `kubectl apply` (field validation Strict, the default since 1.27): an
 * unknown field is an error. The committed CRD cannot say
 * additionalProperties:false itself (structural schemas forbid it beside
 * properties), so the test adds it to every object except metadata. The
 * formats the API server knows (ipv4, ipv6, email) are registered with the
 * same checks Node uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../scripts/gen-crds.ts';
import { parseManifests } from '../../src/resources/load.ts';

type Node = Record<string, unknown>;

function strictFields(node: Node, path: string[] = []): Node {
  const out: Node = { ...node };
  if (node.properties) {
    const props: Node = {};
    for (const [k, v] of Object.entries(node.properties as Node)) props[k] = strictFields(v as Node, [...path, k]);
    out.properties = props;
    if (path.join('.') !== 'metadata') out.additionalProperties = false;
  }
  if (node.items) out.items = strictFields(node.items as Node, [...path, '[]']);
  return out;
}

async function crdValidators(): Promise<Map<string, ValidateFunction>> {
  const ajv = new Ajv({ allErrors: true, strictTypes: false });
  ajv.addFormat('ipv4', (s: string) => isIPv4(s));
  ajv.addFormat('ipv6', (s: string) => isIPv6(s) && !s.includes('%'));
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/);
  const out = new Map<string, ValidateFunction>();
  for (const file of await readdir(join(REPO_ROOT, 'crds'))) {
    if (!file.endsWith('.yaml')) continue;
    const crd = parse(await readFile(join(REPO_ROOT, 'crds', file), 'utf8'));
    const schema = crd.spec.versions[0].schema.openAPIV3Schema as Node;
    out.set(`${crd.spec.group}/${crd.spec.versions[0].name}:${crd.spec.names.kind}`, ajv.compile(strictFields(schema)));
  }
  return out;
}

async function examples(dir: string): Promise<Array<{ file: string; text: string }>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  assert.ok(files.length > 0, `no examples in ${dir}`);
  return Promise.all(files.map(async (f) => ({ file: f, text: await readFile(join(dir, f), 'utf8') })));
}

function crdCheck(validators: Map<string, ValidateFunction>, doc: Node): { ok: boolean; errors: string } {
  const validate = validators.get(`${doc.apiVersion}:${doc.kind}`);
  if (!validate) return { ok: false, errors: `no CRD for ${doc.apiVersion} ${doc.kind}` };
  const ok = validate(doc);
  return { ok, errors: JSON.stringify(validate.errors) };
}

test('valid examples pass the CRD schema (ajv) and zod', async () => {
  const validators = await crdValidators();
  assert.equal(validators.size, 3);
  const kinds = new Set<string>();
  for (const { file, text } of await examples(join(REPO_ROOT, 'deploy/examples'))) {
    for (const doc of parseAllDocuments(text)) {
      const value = doc.toJS() as Node;
      const { ok, errors } = crdCheck(validators, value);
      assert.ok(ok, `${file}: CRD schema rejects it: ${errors}`);
      kinds.add(String(value.kind));
    }
    const { resources, problems } = parseManifests(text, file);
    assert.deepEqual(problems, [], `${file}: zod rejects it`);
    assert.ok(resources.length > 0);
  }
  assert.deepEqual([...kinds].sort(), ['Certificate', 'Domain', 'Issuer']);
});

test('every invalid example fails the CRD schema (ajv) and zod, at the expected field', async () => {
  const validators = await crdValidators();
  const cases = await examples(join(REPO_ROOT, 'deploy/examples/invalid'));
  assert.ok(cases.length >= 10, `only ${cases.length} invalid examples`);
  for (const { file, text } of cases) {
    const expected = /^# expect: (\S+)$/m.exec(text)?.[1];
    assert.ok(expected, `${file}: has an '# expect: <field>' line`);
    const { ok } = crdCheck(validators, parse(text) as Node);
    assert.equal(ok, false, `${file}: the CRD schema accepts it`);
    const { resources, problems } = parseManifests(text, file);
    assert.equal(resources.length, 0, `${file}: zod accepts it`);
    assert.ok(
      problems.some((p) => p.field === expected),
      `${file}: expected a problem at ${expected}, got ${problems.map((p) => p.field).join(', ')}`,
    );
  }
});

test('inline secrets in invalid examples never reach a problem report', async () => {
  for (const file of ['issuer-inline-token.yaml', 'issuer-inline-hmac.yaml']) {
    const text = await readFile(join(REPO_ROOT, 'deploy/examples/invalid', file), 'utf8');
    const { problems } = parseManifests(text, file);
    const dump = JSON.stringify(problems);
    assert.ok(problems.length > 0);
    assert.ok(!dump.includes('not-a-real-token') && !dump.includes('bm90LWEtcmVhbC1rZXk'), `${file}: ${dump}`);
  }
});
