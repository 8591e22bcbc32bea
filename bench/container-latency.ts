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
 * Two operators side by side, containers alternating between them: one
 * watcher on the API's event stream alone (the baseline), one also
 * following Podman's events log (the operator's default as root); the ratio
 * compares `podman start` -> first 200 of the two.
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { startTestOperator } from '../test/helpers/haproxy.ts';
import { get } from '../test/helpers/http.ts';
import { startPodmanHarness, TEST_LABEL, type PodmanHarness, type TestContainer } from '../test/helpers/podman.ts';
import { quietPort } from '../test/podman/busy-machine.ts';
import { createContainerWatcher } from '../src/podman/watcher.ts';
import { existingDefaultEventsLog } from '../src/podman/events-log.ts';
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

/** The operator's default events log, when this machine has one. */
const EVENTS_LOG = existingDefaultEventsLog();
type Mode = 'api' | 'log';
const MODE_NAME: Record<Mode, string> = { api: "the API's event stream alone", log: "with Podman's events log" };

interface Row {
  name: string;
  podman: number;
  ours: number;
  sync: number;
  total: number;
}

/** One operator, its own Podman service and a watcher in one mode; every time here is performance.now(). */
async function setup(haproxy: HaproxyVersion, mode: Mode) {
  const h = await startPodmanHarness();
  const op = await startTestOperator({ pools: Math.max(10, COUNT + 2), slots: 10, haproxy });
  const startEvents = new Map<string, number>();
  const synced = new Map<string, number>();
  const watcher = createContainerWatcher({
    logger: silentLogger(),
    ops: op.operator.ops,
    socketPath: h.socketPath,
    labelSelector: `${TEST_LABEL}=${h.runId}`,
    ...(mode === 'log' ? { eventsLog: EVENTS_LOG } : {}),
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
  await watcher.start();
  return { mode, h, op, watcher, startEvents, synced, pid: await op.workerPid(), rows: [] as Row[] };
}

/**
 * The two modes side by side, container by container (odd ones through the
 * API alone, even ones also through the log), so a busy moment of the
 * machine falls on both; the ratio is of `podman start` -> first 200.
 */
async function main(haproxy: HaproxyVersion): Promise<string> {
  const modes: Mode[] = EVENTS_LOG ? ['api', 'log'] : ['api'];
  const runs = [];
  const never: string[] = [];
  const exited: string[] = [];
  try {
    for (const mode of modes) runs.push(await setup(haproxy, mode));
    for (let i = 1; i <= COUNT; i++) {
      const run = runs[i % runs.length]!;
      const { h, op } = run;
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
      const event = run.startEvents.get(c.id);
      if (stopped) exited.push(`${c.name}: ${stopped}`);
      else if (ok === undefined || event === undefined) never.push(`${c.name}: not routed within ${NEVER_MS} ms (start event ${event === undefined ? 'not seen' : 'seen'})`);
      else run.rows.push({ name: c.name, podman: event - before, ours: ok - event, sync: (run.synced.get(c.id) ?? ok) - event, total: ok - before });
    }
    for (const run of runs) if ((await run.op.workerPid()) !== run.pid) throw new Error('HAProxy was reloaded during the benchmark');
  } finally {
    for (const run of runs.reverse()) {
      await run.watcher.stop();
      await run.op.stop();
      await run.h.cleanup();
    }
    runs.reverse();
  }
  const fmt = (n: number) => n.toFixed(1);
  const stats = (v: number[]) => `p50 ${fmt(percentile(v, 50))} ms, p99 ${fmt(percentile(v, 99))} ms, max ${fmt(Math.max(...v))} ms`;
  const summaries: string[] = [];
  for (const { mode, rows } of runs) {
    console.log(`\n${MODE_NAME[mode]}:`);
    console.log(table(['container', 'podman start -> event ms', 'event -> synced ms', 'event -> first 200 ms', 'podman start -> first 200 ms'], rows.map((r) => [r.name, fmt(r.podman), fmt(r.sync), fmt(r.ours), fmt(r.total)])));
    console.log(`podman start -> event seen (${mode === 'log' ? 'the log or the API, whichever first' : "Podman's API stream, not ours"}): ${stats(rows.map((r) => r.podman))}`);
    console.log(`event -> synced into HAProxy: ${stats(rows.map((r) => r.sync))}`);
    const ours = rows.map((r) => r.ours);
    const pass = percentile(ours, 50) <= 50 && percentile(ours, 99) <= 200;
    summaries.push(
      `${MODE_NAME[mode]}: ${rows.length} containers, start event -> first 200 ${stats(ours)} (goal p50 <= 50, p99 <= 200: ${pass ? 'met' : 'NOT met'}); ` +
        `podman start -> first 200 ${stats(rows.map((r) => r.total))}`,
    );
  }
  for (const line of [...exited, ...never]) console.log(line);
  if (never.length > 0) process.exitCode = 1;
  const [api, log] = runs.map((r) => r.rows.map((row) => row.total));
  const ratio = (p: number) => (percentile(api!, p) / percentile(log!, p)).toFixed(2);
  const compared = log ? `podman start -> first 200, API alone / with the log: p50 ${ratio(50)}x, p99 ${ratio(99)}x` : "no Podman events log here: no comparison";
  return `${summaries.join(' | ')} | ${compared}; ${never.length} never routed${exited.length ? `, ${exited.length} exited on their own (see above)` : ''}`;
}

await eachHaproxy('container-latency', main);
