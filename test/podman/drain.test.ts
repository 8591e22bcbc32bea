/**
 * Finishing drains: idle servers finish, busy ones wait, a timed-out one
 * finishes anyway, a drain still in its hold is left alone, and HAProxy's
 * health is read once per domain and round however many containers of that
 * domain are stopping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { finishDrains } from '../../src/podman/drain.ts';
import type { DrainEntry } from '../../src/podman/desired-set.ts';
import type { ServerHealth, SourceServer } from '../../src/model/operations.ts';

const server = (domain: string, port: number): SourceServer => ({ domain, family: 'http', address: '127.0.0.1', port, weight: 1, state: 'drain', source: `container:${port}` }) as SourceServer;
const row = (port: number, currentSessions: number): ServerHealth => ({ name: `pool_1_${port}`, backend: 'pool_1', family: 'http', slot: 1, address: '127.0.0.1', port, status: 'DRAIN', checkStatus: '', currentSessions });

test('drains finish when idle or timed out; busy and held ones wait; health is read once per domain and round', async () => {
  const reads: string[] = [];
  const sessions = new Map([[8001, 0], [8002, 3], [8003, 0], [9001, 0]]);
  const ops = {
    health: async (domain: string) => {
      reads.push(domain);
      return [...sessions].map(([port, n]) => row(port, n));
    },
  };
  const drains = new Map<string, DrainEntry>([
    ['idle', { servers: [server('a.test', 8001)], since: 0, done: false }],
    ['busy', { servers: [server('a.test', 8002)], since: 0, done: false }],
    ['idle-too', { servers: [server('a.test', 8003)], since: 0, done: false }],
    ['held', { servers: [server('a.test', 8003)], since: 0, done: false, holdUntil: 5000 }],
    ['other', { servers: [server('b.test', 9001)], since: 0, done: false }],
  ]);
  const log = pino({ level: 'silent' });
  assert.equal(await finishDrains(drains, ops, () => 1000, 10_000, log), true);
  assert.deepEqual([...drains].filter(([, d]) => d.done).map(([id]) => id), ['idle', 'idle-too', 'other']);
  assert.deepEqual(reads.sort(), ['a.test', 'b.test'], 'one read per domain, not one per container');

  reads.length = 0;
  assert.equal(await finishDrains(drains, ops, () => 2000, 10_000, log), false, 'the busy one still has sessions');
  assert.equal(await finishDrains(drains, ops, () => 10_000, 10_000, log), true, 'past the drain timeout it finishes anyway');
  assert.equal(drains.get('busy')!.done, true);
  assert.equal(drains.get('held')!.done, true, 'its hold over, the idle one finished too');
});
