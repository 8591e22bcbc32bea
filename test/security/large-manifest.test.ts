/**
 * @module Issue 16, point 8: a dry run reports what would really happen,
 * capacity included (a 6,000-Domain manifest was reported as 6,000 created
 * with ~85 pools free), and a large manifest is parsed in turns of the event
 * loop so the listener is not stalled (the latency itself is measured by
 * bench/large-manifest.ts; here: other work runs while it parses).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createResourceController } from '../../src/resources/controller.ts';
import { describeItems } from '../../src/resources/apply.ts';
import { parseManifestsAsync } from '../../src/resources/load.ts';
import { syncSource } from '../../src/operations/sync-source.ts';
import type { Operations } from '../../src/operations/types.ts';
import type { DesiredState } from '../../src/model/state.ts';
import { domainManifest } from '../helpers/manifests.ts';

const manifest = (n: number) => Array.from({ length: n }, (_, i) => domainManifest({ name: `d${i}`, host: `d${i}.example`, address: '10.0.0.1' })).join('---\n');

test('dry run of more Domains than free pools: the ones that would not be routed say so, with the reason', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'hop-large-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  // Three of five pools already used by hosts routed by hand.
  const state: DesiredState = { version: 1, domains: Object.fromEntries([1, 2, 3].map((p) => [`manual${p}.example`, { pool: p, source: 'manual' as const, servers: [] }])) };
  const ops: Pick<Operations, 'syncSource' | 'health'> = {
    // The real allocation rules on a fixed state; HAProxy's plan is not what is under test.
    syncSource: async (kind, servers) => ({ changed: true, plan: [], rejected: syncSource(state, { pools: 5, slots: 2 }, kind, servers, new Map()).rejected }),
    health: async () => [],
  };
  const dir = join(root, 'resources');
  const controller = createResourceController({ dir, stateDir: root, ops, logger: pino({ level: 'silent' }), resyncMs: 0 });
  await controller.start();
  t.after(() => controller.stop());
  const result = await controller.applyDocuments(manifest(6), { dryRun: true });
  assert.equal(result.ok, true);
  const routed = result.items.filter((i) => !i.notRouted).map((i) => i.name);
  const refused = result.items.filter((i) => i.notRouted);
  assert.deepEqual(routed.sort(), ['d0', 'd1'], 'two free pools: two Domains would be routed');
  assert.equal(refused.length, 4);
  for (const i of refused) assert.match(i.notRouted!, /no free pool for d\d\.example: all 5 pools are used/);
  assert.match(describeItems(result.items, true).join('\n'), /domain\/d5 created \(dry run\) \(domain-d5\.yaml\); NOT ROUTED: no free pool/);
  assert.deepEqual(await readdir(dir), [], 'a dry run writes nothing');
});

test('parsing 2,000 Domains gives the event loop turns (a timer keeps firing meanwhile)', async () => {
  const text = manifest(2000);
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 1);
  const parsed = await parseManifestsAsync(text, 'big.yaml');
  clearInterval(timer);
  assert.equal(parsed.resources.length, 2000);
  assert.ok(ticks >= 5, `a 1 ms timer fired only ${ticks} times during the parse`);
});
