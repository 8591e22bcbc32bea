/**
 * bench/container-latency: 120 labelled httpd containers (BENCH_CONTAINERS,
 * at least 100) created and started one after the other; for each, the time
 * from the arrival of Podman's `start` event in the operator to the first
 * successful request through HAProxy with the container's Host header.
 * Podman's own delay before the event (1 to 250 ms with the file events
 * logger) is printed separately: it is not ours. Reports p50, p99 and the
 * maximum. Goal: p50 <= 50 ms, p99 <= 200 ms (informative). Fails only when
 * a container is never routed (not within NEVER_MS, beyond the 30 s resync);
 * a container that exited on its own is reported with its exit code and log.
 * Run twice per HAProxy: the API's event stream alone (the baseline), then
 * also following Podman's events log (the operator's default as root); the
 * ratio compares `podman start` -> first 200 of the two.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { startTestOperator } from '../test/helpers/haproxy.ts';
import { get } from '../test/helpers/http.ts';
import { startPodmanHarness, TEST_LABEL, type PodmanHarness, type TestContainer } from '../test/helpers/podman.ts';
import { quietPort } from '../test/podman/busy-machine.ts';
import { createContainerWatcher } from '../src/podman/watcher.ts';
import type { ContainerEvent } from '../src/podman/event-stream.ts';
import { eachHaproxy, percentile, table, type HaproxyVersion } from './lib.ts';

const COUNT = Math.max(100, Number(process.env.BENCH_CONTAINERS ?? 120));
/** Longer than the watcher's 30 s resync: a container not answering by then was left behind for good. */
const NEVER_MS = 45_000;

function silentLogger() {
  const noop = () => undefined;
  const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, level: 'silent', child: () => logger };
  return logger as never;
}

/** Why a container that never answered is not running: state, exit code and the last log line (httpd's bind error, ...). */
async function whyStopped(h: PodmanHarness, c: TestContainer): Promise<string | undefined> {
  const state = await h.podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', c.id]).catch(() => 'gone');
  if (state.startsWith('running')) return undefined;
  // The container's stderr comes out on podman's stderr: read both.
  const logs = await new Promise<string>((resolve) => execFile('podman', ['logs', '--tail', '1', c.id], { env: h.env }, (_e, out, err) => resolve(`${out}${err}`.trim())));
  return `${state.replace(/ (\d+)$/, ' (exit code $1)')}${logs ? `: ${logs.split('\n').pop()}` : ''}`;
}

const EVENTS_LOG = '/run/libpod/events/events.log';

/** Every time here is performance.now(). `eventsLog`: the watcher also follows Podman's events log (the operator's default as root). */
async function measure(haproxy: HaproxyVersion, eventsLog: boolean): Promise<{ summary: string; startToOk: number[] }> {
  const h = await startPodmanHarness();
  const op = await startTestOperator({ pools: Math.max(10, COUNT + 2), slots: 10, haproxy });
  const startEvents = new Map<string, number>();
  const synced = new Map<string, number>();
  const watcher = createContainerWatcher({
    logger: silentLogger(),
    ops: op.operator.ops,
    socketPath: h.socketPath,
    labelSelector: `${TEST_LABEL}=${h.runId}`,
    ...(eventsLog ? { eventsLog: EVENTS_LOG } : {}),
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
  const rows: Array<{ name: string; podman: number; ours: number; sync: number; total: number }> = [];
  const never: string[] = [];
  const exited: string[] = [];
  try {
    await watcher.start();
    const pid = await op.workerPid();
    for (let i = 1; i <= COUNT; i++) {
      // Created right before its start, on a port no outgoing connection can take meanwhile (see quietPort).
      const port = await quietPort();
      const domain = `c${i}.latency.bench.test`;
      const c = await h.run({ port, createOnly: true, labels: { 'haproxy.domain': domain, 'haproxy.port': String(port) } });
      const before = performance.now();
      await h.start(c.id);
      let ok: number | undefined;
      let stopped: string | undefined;
      for (let n = 0; performance.now() - before < NEVER_MS; n++) {
        const reply = await get(op.httpPort, domain).catch(() => undefined);
        if (reply?.status === 200 && reply.body.trim() === c.body) {
          ok = performance.now();
          break;
        }
        if (n % 200 === 199 && (stopped = await whyStopped(h, c))) break;
      }
      const event = startEvents.get(c.id);
      if (stopped) exited.push(`${c.name}: ${stopped}`);
      else if (ok === undefined || event === undefined) never.push(`${c.name}: not routed within ${NEVER_MS} ms (start event ${event === undefined ? 'not seen' : 'seen'})`);
      else rows.push({ name: c.name, podman: event - before, ours: ok - event, sync: (synced.get(c.id) ?? ok) - event, total: ok - before });
    }
    if ((await op.workerPid()) !== pid) throw new Error('HAProxy was reloaded during the benchmark');
  } finally {
    await watcher.stop();
    await op.stop();
    await h.cleanup();
  }
  const fmt = (n: number) => n.toFixed(1);
  console.log(`\n${eventsLog ? `with Podman's events log (${EVENTS_LOG})` : "the API's event stream alone"}:`);
  console.log(table(['container', 'podman start -> event ms', 'event -> synced ms', 'event -> first 200 ms', 'podman start -> first 200 ms'], rows.map((r) => [r.name, fmt(r.podman), fmt(r.sync), fmt(r.ours), fmt(r.total)])));
  const ours = rows.map((r) => r.ours);
  const podman = rows.map((r) => r.podman);
  const sync = rows.map((r) => r.sync);
  console.log('');
  const stats = (v: number[]) => `p50 ${fmt(percentile(v, 50))} ms, p99 ${fmt(percentile(v, 99))} ms, max ${fmt(Math.max(...v))} ms`;
  console.log(`podman start -> event seen (${eventsLog ? 'the log or the API, whichever first' : "Podman's API stream, not ours"}): ${stats(podman)}`);
  console.log(`event -> synced into HAProxy: ${stats(sync)}`);
  for (const line of [...exited, ...never]) console.log(line);
  const p50 = percentile(ours, 50);
  const p99 = percentile(ours, 99);
  const pass = p50 <= 50 && p99 <= 200;
  if (never.length > 0) process.exitCode = 1;
  const summary =
    `${eventsLog ? 'log+API' : 'API alone'}: ${rows.length} containers, start event -> first 200 through HAProxy ${stats(ours)} (goal p50 <= 50, p99 <= 200: ${pass ? 'met' : 'NOT met'}); ` +
    `podman start -> first 200 p50 ${fmt(percentile(rows.map((r) => r.total), 50))} ms; ${never.length} never routed${exited.length ? `, ${exited.length} exited on their own (see above)` : ''}`;
  return { summary, startToOk: rows.map((r) => r.total) };
}

/** The API stream alone (the baseline) and with the events log, in the same run; the ratio is of `podman start` -> first 200. */
async function main(haproxy: HaproxyVersion): Promise<string> {
  const api = await measure(haproxy, false);
  if (!existsSync(EVENTS_LOG)) return `${api.summary}; ${EVENTS_LOG} missing: no comparison`;
  const log = await measure(haproxy, true);
  const ratio = (p: number) => (percentile(api.startToOk, p) / percentile(log.startToOk, p)).toFixed(2);
  return `${api.summary} | ${log.summary} | podman start -> first 200, API alone / with the log: p50 ${ratio(50)}x, p99 ${ratio(99)}x`;
}

await eachHaproxy('container-latency', main);
