/**
 * Fuzz: manifests. Seeded (FUZZ_SEED overrides; the seed is printed). Each
 * case is a valid Domain or Certificate with one field replaced by a
 * generated bad value, serialised with the yaml library (so control
 * characters, NUL and 100 KB strings arrive exactly). parseManifests must
 * report a problem at that field path carrying the value, its formatted
 * message must show field and value (or bounded preview), and
 * applyDocuments of a real resources controller over the real operations
 * layer must refuse it: no file in the resources directory, zero bytes to
 * the recording Runtime API, servers.json byte for byte unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { formatProblem, parseManifests } from '../../src/resources/load.ts';
import { createResourceController } from '../../src/resources/controller.ts';
import { createPrng, fuzzSeed, type Prng } from '../helpers/prng.ts';
import { BAD_NUMBERS, WRONG_TYPES_FOR_STRING, badString, describe, preview, type StringKind } from './generators.ts';
import { startRecordingOps } from './recording-ops.ts';

const SEED = fuzzSeed(0x5eed77);
const CASES = 300;

const domainDoc = () => ({
  apiVersion: 'haproxy-operator.io/v1alpha1',
  kind: 'Domain',
  metadata: { name: 'web' },
  spec: { hosts: ['web.example.com'], servers: [{ address: '10.0.0.5', port: 8080, weight: 5, state: 'ready', family: 'http', check: '/healthz' }] },
});
const certDoc = () => ({
  apiVersion: 'haproxy-operator.io/v1alpha1',
  kind: 'Certificate',
  metadata: { name: 'web' },
  spec: { dnsNames: ['web.example.com', '*.web.example.com'], issuerRef: { name: 'le' }, renewBefore: '720h' },
});

type Kind = StringKind | 'number';
const FIELDS: Array<{ doc: () => Record<string, unknown>; path: string; kind: Kind; base?: string; min?: number }> = [
  { doc: domainDoc, path: 'apiVersion', kind: 'enum', base: 'haproxy-operator.io/v1alpha1' },
  { doc: domainDoc, path: 'kind', kind: 'enum', base: 'Domain' },
  { doc: domainDoc, path: 'metadata.name', kind: 'resourceName', base: 'web' },
  { doc: domainDoc, path: 'spec.hosts.0', kind: 'host', base: 'web.example.com' },
  { doc: domainDoc, path: 'spec.servers.0.address', kind: 'ip', base: '10.0.0.5' },
  { doc: domainDoc, path: 'spec.servers.0.port', kind: 'number', min: 1 },
  { doc: domainDoc, path: 'spec.servers.0.weight', kind: 'number', min: 0 },
  { doc: domainDoc, path: 'spec.servers.0.state', kind: 'enum', base: 'ready' },
  { doc: domainDoc, path: 'spec.servers.0.family', kind: 'enum', base: 'http' },
  { doc: domainDoc, path: 'spec.servers.0.check', kind: 'path', base: '/healthz' },
  { doc: certDoc, path: 'spec.dnsNames.1', kind: 'dnsName', base: '*.web.example.com' },
  { doc: certDoc, path: 'spec.issuerRef.name', kind: 'resourceName', base: 'le' },
  { doc: certDoc, path: 'spec.renewBefore', kind: 'duration', base: '720h' },
];

function setAt(doc: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node: Record<string, unknown> = doc;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

function getAt(doc: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, k) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined), doc);
}

function badValue(prng: Prng, field: (typeof FIELDS)[number]): unknown {
  if (field.kind === 'number') {
    const v = prng.pick(BAD_NUMBERS);
    return v === 0 && field.min === 0 ? 257 : v;
  }
  if (prng.int(0, 4) === 0) return prng.pick(WRONG_TYPES_FOR_STRING);
  return badString(prng, field.kind, field.base!).value;
}

test(`fuzz: manifests (seed ${SEED})`, async (t) => {
  t.diagnostic(`seed ${SEED} (set FUZZ_SEED to replay)`);
  const prng = createPrng(SEED);
  const rec = await startRecordingOps();
  t.after(() => rec.close());
  const resourcesDir = join(rec.dir, 'resources');
  await mkdir(resourcesDir);
  const controller = createResourceController({ dir: resourcesDir, stateDir: join(rec.dir, 'status'), ops: rec.ops, logger: pino({ level: 'silent' }) });
  const before = await rec.serversBytes();
  const failures: string[] = [];
  const perField = new Map<string, number>();

  for (let i = 0; i < CASES; i++) {
    const field = prng.pick(FIELDS);
    const value = badValue(prng, field);
    const doc = field.doc();
    setAt(doc, field.path, value);
    const text = stringify(doc, { lineWidth: 0 });
    const what = `${doc.kind as string} ${field.path}=${describe(value)} (case ${i})`;
    const kindKey = `${String(field.doc().kind)}.${field.path}`;
    perField.set(kindKey, (perField.get(kindKey) ?? 0) + 1);

    const reparsed = parseManifests(text, 'fuzz.yaml');
    // The yaml round trip must carry the value exactly, or the case tests nothing.
    const { parseAllDocuments } = await import('yaml');
    const roundTrip = parseAllDocuments(text);
    const back = Array.isArray(roundTrip) ? roundTrip[0]!.toJS() : undefined;
    if (!isDeepStrictEqual(getAt(back, field.path), value)) {
      failures.push(`${what}: yaml round trip changed the value to ${describe(getAt(back, field.path))}`);
      continue;
    }
    const problem = reparsed.problems.find((p) => p.field === field.path);
    if (reparsed.resources.length > 0) failures.push(`${what}: accepted`);
    else if (!problem) failures.push(`${what}: no problem at the field; got ${reparsed.problems.map((p) => p.field).join(', ')}`);
    else if (!isDeepStrictEqual(problem.value, value)) failures.push(`${what}: problem carries ${describe(problem.value)}`);
    else {
      const message = formatProblem(problem);
      if (!message.includes(`${field.path}=`) || !message.includes(preview(value))) failures.push(`${what}: message lacks field or value: ${message.slice(0, 300)}`);
      else if (message.length > 1000) failures.push(`${what}: message not bounded (${message.length})`);
    }

    const applied = await controller.applyDocuments(text);
    if (applied.ok) failures.push(`${what}: applyDocuments accepted it`);
    else if (!applied.problems.some((p) => p.field === field.path)) failures.push(`${what}: apply problems do not name the field: ${applied.problems.map(formatProblem).join('; ').slice(0, 300)}`);
  }

  assert.deepEqual(failures.slice(0, 15), [], `${failures.length} of ${CASES} cases failed; first ones listed`);
  assert.deepEqual(await readdir(resourcesDir), [], 'no manifest file was written');
  assert.equal(rec.fake.connections, 0, 'the Runtime API saw no connection');
  assert.equal(rec.fake.bytesReceived(), 0, 'the Runtime API received zero bytes');
  assert.ok((await rec.serversBytes()).equals(before), 'servers.json byte for byte unchanged');
  t.diagnostic(`bad manifest cases: ${CASES} (${[...perField].map(([k, v]) => `${k} ${v}`).join(', ')})`);

  // Positive control: valid manifests through the same controller are written and routed.
  const good = await controller.applyDocuments(`${stringify(domainDoc())}---\n${stringify(certDoc())}`);
  assert.equal(good.ok, true, good.problems.map(formatProblem).join('; '));
  assert.deepEqual((await readdir(resourcesDir)).sort(), ['certificate-web.yaml', 'domain-web.yaml']);
  assert.ok(rec.mutating().some((l) => l.includes(' web.example.com pool_')), rec.mutating().join(' | '));
  assert.ok(!(await rec.serversBytes()).equals(before), 'a valid Domain changed servers.json');
  await controller.stop();
  t.diagnostic('positive controls: 2 documents');
});
