/**
 * Fuzz: container labels. Seeded (FUZZ_SEED overrides; the seed is printed).
 * Every generated bad value of every haproxy.* label must be reported as a
 * problem naming the label and the value (or its bounded preview), and the
 * container's path on to the real operations layer (view -> desired set ->
 * syncSource) must send nothing to the Runtime API and leave servers.json
 * byte for byte as it was. Valid labels, run through the same path, do reach
 * the recording Runtime API, so the suite can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLabels, formatLabelProblem } from '../../src/podman/labels.ts';
import { viewContainer } from '../../src/podman/container-view.ts';
import { desiredServers } from '../../src/podman/desired-set.ts';
import type { ContainerInspectLike } from '../../src/podman/address.ts';
import { createPrng, fuzzSeed } from '../helpers/prng.ts';
import { badString, describe, preview, type StringKind } from './generators.ts';
import { startRecordingOps } from './recording-ops.ts';

const SEED = fuzzSeed(0x1ab3150);
const PER_FIELD = 40;

const FIELDS: Array<{ key: string; kind: StringKind; base: string }> = [
  { key: 'haproxy.domain', kind: 'hostList', base: 'app.example.com' },
  { key: 'haproxy.port', kind: 'port', base: '8080' },
  { key: 'haproxy.weight', kind: 'weight', base: '10' },
  { key: 'haproxy.network', kind: 'network', base: 'podman1' },
  { key: 'haproxy.address', kind: 'enum', base: 'container' },
  { key: 'haproxy.tls', kind: 'enum', base: 'auto' },
  { key: 'haproxy.check', kind: 'path', base: '/healthz' },
  { key: 'haproxy.enable', kind: 'enum', base: 'true' },
];

function inspectOf(id: string, labels: Record<string, string>): ContainerInspectLike {
  return { Id: id, Name: `/web-${id}`, Config: { Labels: labels }, State: { Running: true, Status: 'running' }, HostConfig: { NetworkMode: 'host' }, NetworkSettings: { Networks: null, Ports: null } };
}

/** The watcher's path from one inspected container to syncSource. */
async function syncContainer(ops: { syncSource: (k: 'container', s: never[]) => Promise<unknown> }, inspect: ContainerInspectLike) {
  const view = viewContainer(inspect);
  const { servers } = desiredServers(new Map([[inspect.Id, { view }]]), new Map(), new Map(), Date.now());
  await ops.syncSource('container', servers as never[]);
  return view;
}

test(`fuzz: container labels (seed ${SEED})`, async (t) => {
  t.diagnostic(`seed ${SEED} (set FUZZ_SEED to replay)`);
  const prng = createPrng(SEED);
  const rec = await startRecordingOps();
  t.after(() => rec.close());
  const before = await rec.serversBytes();
  let cases = 0;

  for (const field of FIELDS) {
    for (let i = 0; i < PER_FIELD; i++) {
      const { value, how } = badString(prng, field.kind, field.base);
      const labels: Record<string, string> = { 'haproxy.domain': 'app.example.com', [field.key]: value };
      const what = `${field.key}=${describe(value)} (${how}, case ${cases})`;
      const decision = decodeLabels(labels);
      assert.equal(decision.kind, 'invalid', `${what}: accepted`);
      if (decision.kind !== 'invalid') continue;
      const problem = decision.problems.find((p) => p.field === field.key);
      assert.ok(problem, `${what}: no problem names the label; got ${JSON.stringify(decision.problems.map((p) => p.field))}`);
      assert.equal(problem.value, value, `${what}: problem carries the raw value`);
      const message = formatLabelProblem('web-1', problem);
      assert.ok(message.includes(field.key), `${what}: message lacks the label: ${message}`);
      assert.ok(message.includes(preview(value)), `${what}: message lacks the value preview ${preview(value)}: ${message.slice(0, 300)}`);
      assert.ok(message.length < 1000, `${what}: message is bounded (${message.length} chars)`);

      const view = await syncContainer(rec.ops, inspectOf(`c${cases}`, labels));
      assert.deepEqual(view.servers, [], `${what}: the container got servers`);
      assert.ok(view.errors.some((e) => e.includes(field.key)), `${what}: view errors name the label`);
      cases += 1;
    }
  }
  // Unknown keys next to a valid domain: each is a problem with a hint, never ignored.
  for (let i = 0; i < 40; i++) {
    const key = `haproxy.${badString(prng, 'network', 'port').value.slice(0, 40)}`;
    const labels = { 'haproxy.domain': 'app.example.com', [key]: '8080' };
    const decision = decodeLabels(labels);
    assert.equal(decision.kind, 'invalid', `unknown key ${describe(key)} accepted`);
    if (decision.kind === 'invalid') assert.ok(decision.problems.some((p) => p.field === key && p.message === 'unknown label'), `unknown key ${describe(key)} not named`);
    await syncContainer(rec.ops, inspectOf(`u${i}`, labels));
    cases += 1;
  }

  assert.equal(rec.fake.connections, 0, 'the Runtime API saw no connection');
  assert.equal(rec.fake.bytesReceived(), 0, 'the Runtime API received zero bytes');
  assert.ok((await rec.serversBytes()).equals(before), 'servers.json byte for byte unchanged');
  t.diagnostic(`bad label cases: ${cases}`);
  assert.ok(cases >= 200, `at least 200 bad label cases ran (${cases})`);

  // Positive control: valid labels through the same path reach the Runtime API.
  const valid: Array<Record<string, string>> = [
    { 'haproxy.domain': 'ok1.test' },
    { 'haproxy.domain': 'OK2.test, ok3.test', 'haproxy.port': ' 8080 ', 'haproxy.weight': '0' },
    { 'haproxy.domain': 'ok4.test', 'haproxy.check': '/healthz?x=1', 'haproxy.tls': 'auto', 'haproxy.address': 'container' },
  ];
  for (const labels of valid) assert.equal(decodeLabels(labels).kind, 'valid', JSON.stringify(labels));
  const ids = valid.map((_, i) => `v${i}`);
  const views = valid.map((labels, i) => viewContainer(inspectOf(ids[i]!, labels)));
  const { servers } = desiredServers(new Map(views.map((view, i) => [ids[i]!, { view }])), new Map(), new Map(), Date.now());
  await rec.ops.syncSource('container', servers);
  assert.ok(rec.mutating().some((l) => l.includes(' ok1.test pool_')), `a valid label reached HAProxy: ${rec.mutating().join(' | ')}`);
  assert.ok(!(await rec.serversBytes()).equals(before), 'a valid label changed servers.json');
  t.diagnostic(`positive controls: ${valid.length}`);
});
