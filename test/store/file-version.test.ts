/**
 * servers.json says version 2 once a route has rules or is a path route, so
 * an operator older than rules (its schema takes version 1 only, and drops
 * unknown fields) refuses the file instead of silently losing the rules; a
 * state without them stays version 1. Both load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { createStateStore } from '../../src/store/state-store.ts';
import { emptyState, type DesiredState } from '../../src/model/state.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { manualRoute } from '../helpers/state.ts';

/** What b6e29f4 (before rules) checked of the file's top level. */
const OlderOperator = z.object({ version: z.literal(1), domains: z.record(z.string(), z.unknown()) });

test('servers.json: version 1 without rules (an older operator still reads it), version 2 with rules or a path route (an older one refuses it); both load', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-version-'));
  deferCleanup(t)(() => rm(dir, { recursive: true, force: true }));
  const store = createStateStore({ serversFile: join(dir, 'servers.json'), mapFile: join(dir, 'domains.map'), checksMapFile: join(dir, 'checks.map') });
  const cases: Array<[string, DesiredState, number]> = [
    ['plain routes', { ...emptyState(), domains: { 'a.test': manualRoute(1) } }, 1],
    ['a source rule', { ...emptyState(), domains: { 'a.test': manualRoute(1, { rules: { redirectHttps: true } }) } }, 2],
    ['an MCP rule', { ...emptyState(), domains: { 'a.test': manualRoute(1, { rulesOverride: { hsts: 'max-age=60' } }) } }, 2],
    ['a path route', { ...emptyState(), domains: { 'a.test': manualRoute(1), 'a.test/api': manualRoute(2) } }, 2],
  ];
  for (const [what, state, version] of cases) {
    await store.save(state);
    const file = JSON.parse(await readFile(store.paths.serversFile, 'utf8')) as { version: number };
    assert.equal(file.version, version, what);
    assert.equal(OlderOperator.safeParse(file).success, version === 1, `${what}: an older operator ${version === 1 ? 'reads' : 'refuses'} it`);
    const loaded = await store.load();
    assert.deepEqual(loaded.domains, state.domains, `${what}: loads back`);
  }
});
