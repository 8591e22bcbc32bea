/**
 * bench/container-latency: 30 labelled httpd containers started one after
 * the other; for each, the time from the arrival of Podman's `start` event in
 * the operator to the first successful request through HAProxy with the
 * container's Host header. Podman's own delay before the event (1 to 250 ms
 * with the file events logger) is printed separately: it is not ours.
 * Goal: p50 <= 50 ms, p99 <= 200 ms.
 */
import { performance } from 'node:perf_hooks';
import { startTestOperator } from '../test/helpers/haproxy.ts';
import { get } from '../test/helpers/http.ts';
import { freePort } from '../test/helpers/ports.ts';
import { startPodmanHarness, TEST_LABEL, type TestContainer } from '../test/helpers/podman.ts';
import { createContainerWatcher } from '../src/podman/watcher.ts';
import type { ContainerEvent } from '../src/podman/event-stream.ts';
import { eachHaproxy, percentile, table, type HaproxyVersion } from './lib.ts';

const COUNT = Number(process.env.BENCH_CONTAINERS ?? 30);
const DEADLINE_MS = 10_000;

function silentLogger() {
  const noop = () => undefined;
  const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, level: 'silent', child: () => logger };
  return logger as never;
}

/** Performance-clock time of `Date.now()`-based timestamps is not needed: every time here is performance.now(). */
async function main(haproxy: HaproxyVersion): Promise<string> {
  const h = await startPodmanHarness();
  const op = await startTestOperator({ pools: Math.max(10, COUNT + 2), slots: 10, haproxy });
  const startEvents = new Map<string, number>();
  const synced = new Map<string, number>();
  const watcher = createContainerWatcher({
    logger: silentLogger(),
    ops: op.operator.ops,
    socketPath: h.socketPath,
    labelSelector: `${TEST_LABEL}=${h.runId}`,
    onEvent: (e: ContainerEvent) => {
      if (e.action === 'start' && !startEvents.has(e.id)) startEvents.set(e.id, performance.now());
    },
    onSynced: ({ servers }) => {
      const at = performance.now();
      for (const s of servers) {
        const id = s.source.slice('container:'.length);
        if (s.state === 'ready' && !synced.has(id)) synced.set(id, at);
      }
    },
  });
  const rows: Array<{ name: string; podman: number; ours: number; sync: number }> = [];
  try {
    await watcher.start();
    const pid = await op.workerPid();
    const containers: Array<{ c: TestContainer; domain: string }> = [];
    for (let i = 1; i <= COUNT; i++) {
      const port = await freePort();
      const domain = `c${i}.latency.bench.test`;
      const c = await h.run({ port, createOnly: true, labels: { 'haproxy.domain': domain, 'haproxy.port': String(port) } });
      containers.push({ c, domain });
    }
    for (const { c, domain } of containers) {
      const before = performance.now();
      await h.start(c.id);
      let ok: number | undefined;
      while (performance.now() - before < DEADLINE_MS) {
        const reply = await get(op.httpPort, domain).catch(() => undefined);
        if (reply?.status === 200 && reply.body.trim() === c.body) {
          ok = performance.now();
          break;
        }
      }
      const event = startEvents.get(c.id);
      if (ok === undefined || event === undefined) throw new Error(`${c.name}: not routed within ${DEADLINE_MS} ms (start event ${event === undefined ? 'not seen' : 'seen'})`);
      rows.push({ name: c.name, podman: event - before, ours: ok - event, sync: (synced.get(c.id) ?? ok) - event });
    }
    if ((await op.workerPid()) !== pid) throw new Error('HAProxy was reloaded during the benchmark');
  } finally {
    await watcher.stop();
    await op.stop();
    await h.cleanup();
  }
  const fmt = (n: number) => n.toFixed(1);
  console.log(table(['container', 'podman start -> event ms', 'event -> synced ms', 'event -> first 200 ms'], rows.map((r) => [r.name, fmt(r.podman), fmt(r.sync), fmt(r.ours)])));
  const ours = rows.map((r) => r.ours);
  const podman = rows.map((r) => r.podman);
  const sync = rows.map((r) => r.sync);
  console.log('');
  console.log(`podman start -> event (Podman's part, not ours): p50 ${fmt(percentile(podman, 50))} ms, p99 ${fmt(percentile(podman, 99))} ms`);
  console.log(`event -> synced into HAProxy: p50 ${fmt(percentile(sync, 50))} ms, p99 ${fmt(percentile(sync, 99))} ms`);
  const p50 = percentile(ours, 50);
  const p99 = percentile(ours, 99);
  const pass = p50 <= 50 && p99 <= 200;
  return `${rows.length} containers, start event -> first 200 through HAProxy p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms (goal p50 <= 50, p99 <= 200: ${pass ? 'met' : 'NOT met'})`;
}

await eachHaproxy('container-latency', main);
