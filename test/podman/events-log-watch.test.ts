/**
 * The watcher following Podman's real events log beside the API stream:
 * starts and stops are first seen through the log (the API's stream tails
 * the same log by polling, 1 to 250 ms later), every container is routed
 * and unrouted as before, and each event is handled once (the API's copy is
 * recognised). How much sooner a route is live is bench/container-latency's.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { haproxyMissing } from '../helpers/haproxy.ts';
import { get } from '../helpers/http.ts';
import { podmanSkipReason } from '../helpers/podman.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { useWatchedOperator } from '../helpers/watched-operator.ts';
import type { ContainerEvent } from '../../src/podman/event-stream.ts';

const LOG = '/run/libpod/events/events.log';
const skip = haproxyMissing() ?? (await podmanSkipReason()) ?? (existsSync(LOG) ? undefined : `${LOG} missing (Podman not using the file events logger as root)`);

describe('container events from the events log', { skip: skip ?? false, timeout: 120_000 }, () => {
  const seen: ContainerEvent[] = [];
  const echoes: ContainerEvent[] = [];
  const suite = useWatchedOperator({
    pools: 5,
    slots: 6,
    watcher: { eventsLog: LOG, drainTimeoutMs: 500, drainPollMs: 50, onEvent: (e) => seen.push(e), onEcho: (e) => echoes.push(e) },
  });

  test('five starts and stops: first seen through the log, each handled once, every one routed then unrouted', async () => {
    const ROUNDS = 5;
    const ours = new Set<string>();
    for (let i = 0; i < ROUNDS; i++) {
      const domain = `log${i}.events.test`;
      const port = await freePort();
      const c = await suite.h.run({ port, labels: { 'haproxy.domain': domain, 'haproxy.port': String(port), 'haproxy.hold': '0' } });
      ours.add(c.id);
      await waitFor(async () => (await get(suite.op.httpPort, domain)).status === 200, { timeoutMs: 10_000, message: `${domain} routed` });
      await suite.h.stop(c.id);
      await waitFor(async () => (await get(suite.op.httpPort, domain)).status === 503, { timeoutMs: 10_000, message: `${domain} unrouted` });
    }
    // Podman's events are host-wide: other suites' containers come through too, and count for `early` as well.
    const mine = () => seen.filter((e) => ours.has(e.id));
    // The API's copies arrive up to 250 ms after the log's: each one told by the log first is recognised, none handled again.
    // Counted per event: Podman's API may replay some (it reads the kept half of its log again after a rotation).
    const logFirst = new Set(mine().filter((e) => e.via === 'log').map((e) => `${e.id}:${e.atMs}`));
    const copied = () => new Set(echoes.filter((e) => logFirst.has(`${e.id}:${e.atMs}`)).map((e) => `${e.id}:${e.atMs}`)).size;
    await waitFor(() => copied() >= logFirst.size, { timeoutMs: 5000, message: `the API's copies of our ${logFirst.size} events told by the log` });
    assert.ok(suite.watcher.stats().early >= logFirst.size);
    const starts = mine().filter((e) => e.action === 'start');
    assert.equal(starts.length, ROUNDS, `each start handled once: ${starts.map((e) => `${e.id.slice(0, 8)} via ${e.via}`).join(', ')}`);
    // The API can win a race only when its 250 ms poll lands right after the write: nearly never, so at most one.
    assert.ok(starts.filter((e) => e.via === 'log').length >= ROUNDS - 1, `starts first seen via the log: ${starts.map((e) => e.via).join(', ')}`);
    const stops = mine().filter((e) => e.action === 'died' || e.action === 'die');
    assert.equal(new Set(stops.map((e) => e.id)).size, ROUNDS);
    assert.equal(stops.length, ROUNDS, 'each stop handled once (the API says die, the log died)');
  });
});
