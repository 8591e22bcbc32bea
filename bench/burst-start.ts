/**
 * bench/burst-start (issue 17): 30 labelled httpd containers for 3 domains
 * (10 each) started at once through Podman's API; every one must be routed.
 * Reports the time from the LAST start event the operator received to the
 * LAST server live in HAProxy: when the watcher's sync that carried it
 * returned (HAProxy had acknowledged the commands), confirmed by reading
 * HAProxy's own state (map + servers state) on a separate Runtime API
 * connection. Baseline in the same run: one container of a fourth domain
 * started alone, its start event -> live; the burst is reported as a ratio of
 * it. BENCH_ROUNDS rounds (default 3); between rounds every container is
 * stopped and its domain gone. Loopback only; everything is removed at the end.
 */
import { performance } from 'node:perf_hooks';
import Dockerode from 'dockerode';
import pino from 'pino';
import { startTestOperator } from '../test/helpers/haproxy.ts';
import { get } from '../test/helpers/http.ts';
import { liveRoutes } from '../test/helpers/live-routes.ts';
import { startPodmanHarness, TEST_LABEL, type TestContainer } from '../test/helpers/podman.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { quietPort } from '../test/podman/busy-machine.ts';
import { createRuntimeClient } from '../src/haproxy/runtime-client.ts';
import { createContainerWatcher } from '../src/podman/watcher.ts';
import { eachHaproxy, percentile, table, type HaproxyVersion } from './lib.ts';

const COUNT = 30;
const DOMAINS = 3;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
/** Bound of every wait: a container not live by then counts as never routed. */
const DEADLINE_MS = 30_000;

async function main(haproxy: HaproxyVersion): Promise<string> {
  const h = await startPodmanHarness();
  const op = await startTestOperator({ pools: DOMAINS + 3, slots: COUNT / DOMAINS, haproxy });
  const observer = createRuntimeClient({ address: op.settings.runtimeApi });
  const startEvents = new Map<string, number>();
  const synced = new Map<string, number>();
  const watcher = createContainerWatcher({
    logger: pino({ level: 'silent' }),
    ops: op.operator.ops,
    socketPath: h.socketPath,
    labelSelector: `${TEST_LABEL}=${h.runId}`,
    drainTimeoutMs: 1000,
    drainPollMs: 50,
    onEvent: (e) => {
      if (e.action === 'start') startEvents.set(e.id, performance.now());
    },
    onSynced: ({ servers }) => {
      const at = performance.now();
      for (const s of servers) {
        const id = s.source.slice('container:'.length);
        if (s.state === 'ready' && !synced.has(id)) synced.set(id, at);
      }
    },
  });
  const docker = new Dockerode({ socketPath: h.socketPath });
  const rows: Array<Array<string | number>> = [];
  const burst: number[] = [];
  const single: number[] = [];
  try {
    await watcher.start();
    const pid = await op.workerPid();
    // haproxy.hold=0: a stopped container's slot is freed after its drain, so the next round starts from empty pools.
    const make = async (domain: string) => {
      const port = await quietPort();
      return { domain, c: await h.run({ port, createOnly: true, labels: { 'haproxy.domain': domain, 'haproxy.port': String(port), 'haproxy.hold': '0' } }) };
    };
    const fleet = await Promise.all(Array.from({ length: COUNT }, (_, i) => make(`d${(i % DOMAINS) + 1}.burst.bench.test`)));
    const solo = await make('solo.burst.bench.test');
    const isLive = async (set: Array<{ domain: string; c: TestContainer }>) => {
      const routes = await liveRoutes(observer, op.settings.confDir);
      return set.every(({ domain, c }) => routes.get(domain)?.has(`127.0.0.1:${c.port}`));
    };

    /** Starts `set` at once; returns last start event -> last synced, and -> seen live by the observer. */
    const startAll = async (set: Array<{ domain: string; c: TestContainer }>) => {
      for (const { c } of set) {
        startEvents.delete(c.id);
        synced.delete(c.id);
      }
      await Promise.all(set.map(({ c }) => docker.getContainer(c.id).start()));
      await waitFor(() => isLive(set), { timeoutMs: DEADLINE_MS, intervalMs: 10, message: `all ${set.length} servers live in HAProxy` });
      const seenLive = performance.now();
      const lastEvent = Math.max(...set.map(({ c }) => startEvents.get(c.id) ?? NaN));
      const lastSynced = Math.max(...set.map(({ c }) => synced.get(c.id) ?? NaN));
      if (!Number.isFinite(lastEvent) || !Number.isFinite(lastSynced)) throw new Error('a start event or a sync was not seen');
      return { synced: lastSynced - lastEvent, seen: seenLive - lastEvent };
    };
    const stopAll = async (set: Array<{ domain: string; c: TestContainer }>) => {
      await Promise.all(set.map(({ c }) => docker.getContainer(c.id).stop({ t: 1 })));
      const domains = new Set(set.map((s) => s.domain));
      await waitFor(async () => {
        const routes = await liveRoutes(observer, op.settings.confDir);
        return [...domains].every((d) => !routes.has(d) && !op.operator.ops.getDomain(d));
      }, { timeoutMs: DEADLINE_MS, message: 'stopped containers gone from HAProxy' });
    };

    for (let round = 1; round <= ROUNDS; round++) {
      const alone = await startAll([solo]);
      await stopAll([solo]);
      const all = await startAll(fleet);
      // Routed means traffic arrives: through HAProxy, every container of each domain answers (round robin).
      for (let d = 1; d <= DOMAINS; d++) {
        const domain = `d${d}.burst.bench.test`;
        const want = new Set(fleet.filter((f) => f.domain === domain).map((f) => f.c.body));
        const seen = new Set<string>();
        await waitFor(async () => {
          const reply = await get(op.httpPort, domain).catch(() => undefined);
          if (reply?.status === 200) seen.add(reply.body.trim());
          return [...want].every((b) => seen.has(b));
        }, { timeoutMs: DEADLINE_MS, intervalMs: 5, message: `every container of ${domain} answering through HAProxy` });
      }
      await stopAll(fleet);
      single.push(alone.synced);
      burst.push(all.synced);
      rows.push([round, alone.synced.toFixed(1), all.synced.toFixed(1), all.seen.toFixed(1), (all.synced / alone.synced).toFixed(1)]);
    }
    if ((await op.workerPid()) !== pid) throw new Error('HAProxy was reloaded during the benchmark');
  } finally {
    await watcher.stop();
    observer.close();
    await op.stop();
    await h.cleanup();
  }
  console.log(table(['round', '1 alone: event -> live ms', `${COUNT} at once: last event -> last live ms`, 'same, seen by a poller ms', 'ratio'], rows));
  const p50 = (v: number[]) => percentile(v, 50).toFixed(1);
  return `${COUNT} containers for ${DOMAINS} domains started at once, all routed in each of ${ROUNDS} rounds: last start event -> last server live p50 ${p50(burst)} ms, max ${Math.max(...burst).toFixed(1)} ms; one alone p50 ${p50(single)} ms (ratio ${(percentile(burst, 50) / percentile(single, 50)).toFixed(1)})`;
}

await eachHaproxy('burst-start', main);
