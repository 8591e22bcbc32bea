/**
 * @module Load-time checks of servers.json against --pools/--slots: each
 * problem is refused with the file, the entry and the fix; shared pools whose
 * hosts agree are unified, ones whose hosts disagree on a slot are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLoadedState } from '../../src/store/state-check.ts';
import type { DesiredState, ServerSpec } from '../../src/model/state.ts';

const srv = (slot: number, address: string, family: ServerSpec['family'] = 'http'): ServerSpec => ({ family, slot, address, port: 80, weight: 1, state: 'ready', source: 'manual' });
const state = (domains: DesiredState['domains']): DesiredState => ({ version: 1, domains });
const CAP = { pools: 100, slots: 10 };

test('pool beyond --pools: names the hosts, the file and both fixes (raise --pools, or move to named free pools)', () => {
  const s = state({ 'a.example': { pool: 150, source: 'manual', servers: [srv(1, '10.0.0.1')] }, 'b.example': { pool: 1, source: 'manual', servers: [] } });
  assert.throws(() => checkLoadedState(s, CAP, '/st/servers.json'), (e: Error) =>
    e.message.startsWith('/st/servers.json: 1 problem(s); nothing was started') && /a\.example \(pool_150\): beyond --pools 100/.test(e.message) && /Start with --pools 150 \(or more\)/.test(e.message) && /free pools within 100 \(free: 2\)/.test(e.message));
  // A lower --pools after a restart: the same rule.
  const lowered = state({ 'x.example': { pool: 80, source: 'manual', servers: [] }, 'y.example': { pool: 90, source: 'manual', servers: [] } });
  assert.throws(() => checkLoadedState(lowered, { pools: 50, slots: 10 }, 'f'), /x\.example \(pool_80\), y\.example \(pool_90\): beyond --pools 50.*free: 1, 2/s);
});

test('slot beyond --slots and two servers in one slot are refused with the entry', () => {
  const s = state({ 'a.example': { pool: 1, source: 'manual', servers: [srv(11, '10.0.0.1'), srv(2, '10.0.0.2'), srv(2, '10.0.0.3')] } });
  assert.throws(() => checkLoadedState(s, CAP, 'f'), (e: Error) =>
    /domains\["a\.example"\]\.servers\[0\] \(pool_1_11 10\.0\.0\.1:80\): slot 11 is beyond --slots 10\. Start with --slots 11/.test(e.message) &&
    /domains\["a\.example"\]\.servers\[2\] \(pool_1_2 10\.0\.0\.3:80\): slot 2 \(http\) of a\.example already holds 10\.0\.0\.2:80/.test(e.message));
});

test('hosts sharing a pool: equal or disjoint slots are unified (one slot set); a slot filled differently has two owners', () => {
  const agree = state({ example: { pool: 15, source: 'import', servers: [srv(1, '10.0.0.1')] }, 'www.example': { pool: 15, source: 'import', servers: [srv(1, '10.0.0.1'), srv(2, '10.0.0.2')] } });
  const { state: unified, notes } = checkLoadedState(agree, CAP, 'f');
  assert.deepEqual(unified.domains.example!.servers, unified.domains['www.example']!.servers);
  assert.equal(unified.domains.example!.servers.length, 2);
  assert.match(notes[0]!, /pool_15 is shared by example, www\.example/);
  assert.equal(agree.domains.example!.servers.length, 1, 'the input is not mutated');

  const conflict = state({ example: { pool: 15, source: 'import', servers: [srv(1, '10.0.0.1')] }, 'www.example': { pool: 15, source: 'import', servers: [srv(1, '10.0.0.2')] } });
  assert.throws(() => checkLoadedState(conflict, CAP, 'f'), /pool_15_1 has two owners: example -> 10\.0\.0\.1:80 and www\.example -> 10\.0\.0\.2:80/);
});

test('a state within capacity passes unchanged', () => {
  const s = state({ 'a.example': { pool: 100, source: 'manual', servers: [srv(10, '10.0.0.1'), srv(10, '10.0.0.1', 'ssl')] } });
  assert.deepEqual(checkLoadedState(s, CAP, 'f'), { state: s, notes: [] });
});
