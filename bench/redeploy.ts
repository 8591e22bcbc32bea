/**
 * bench/redeploy: a single-replica app (busybox httpd, host network) under
 * `wrk` load while it is redeployed ROUNDS times in each of four ways:
 * `podman restart -t 2`; a Quadlet unit restart (its ExecStop then
 * ExecStart: `podman rm -f -t 2`, then `podman run --replace` of the same
 * name and port, which is also what `podman auto-update` restarts); `podman
 * run --replace` on a new port (a new address); `podman stop` then `podman
 * start`. Each way runs for a domain with the default hold and for one with
 * `haproxy.hold=0` (the baseline: the behaviour without the hold), on the
 * same operator and HAProxy. Reported per way and mode: requests, failed
 * (non-2xx and socket errors), p50/p99/max latency, and the container's own
 * outage (its port polled directly every 5 ms: from the first refused poll
 * to the first answer), plus the container's start time (`podman start` to
 * its port answering). Goal: 0 failed with the hold, and max latency <= the
 * longest outage plus 250 ms. Loopback only; every wrk run and round is bounded.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { startTestOperator } from '../test/helpers/haproxy.ts';
import { get } from '../test/helpers/http.ts';
import { freePort } from '../test/helpers/ports.ts';
import { startPodmanHarness, TEST_LABEL, type PodmanHarness, type TestContainer } from '../test/helpers/podman.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { createContainerWatcher } from '../src/podman/watcher.ts';
import { eventsLogIfAny } from '../test/helpers/watched-operator.ts';
import { eachHaproxy, hasWrk, loadUntilStopped, percentile, table, type HaproxyVersion, type LatencyLoadResult } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_REDEPLOY_ROUNDS ?? 3);
const CONNECTIONS = 4;
const PAUSE_MS = 1500;
const SLACK_MS = 250;

function silentLogger() {
  const noop = () => undefined;
  const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, level: 'silent', child: () => logger };
  return logger as never;
}

const answers = (port: number) => get(port, 'direct').then((r) => r.status === 200, () => false);

/** Polls `oldPort` until it refuses, then `newPort` until it answers (5 ms apart, 20 s at most): [down, up] times. */
async function watchOutage(oldPort: number, newPort: number): Promise<[number, number]> {
  const deadline = performance.now() + 20_000;
  let down: number | undefined;
  while (performance.now() < deadline) {
    if (down === undefined && !(await answers(oldPort))) down = performance.now();
    if (down !== undefined && (await answers(newPort))) return [down, performance.now()];
    await delay(5);
  }
  throw new Error(`port ${newPort} did not answer again within 20 s`);
}

interface Redeploy {
  name: string;
  /** Redeploys `c` (the new one on `port`); resolves with the container now serving and, for a plain start, when `podman start` began. */
  run(h: PodmanHarness, c: TestContainer, labels: Record<string, string>, body: string, port: number): Promise<{ next: TestContainer; startAt?: number }>;
  newPort: boolean;
}

/** `podman run --replace` of `c`'s name on `port`. */
const replaceOn = (h: PodmanHarness, c: TestContainer, labels: Record<string, string>, body: string, port: number) =>
  h.run({ port, replace: c.name, body, graceful: true, labels: { ...labels, 'haproxy.port': String(port) } });

const WAYS: Redeploy[] = [
  { name: 'podman restart', newPort: false, run: async (h, c) => (await h.podman(['restart', '-t', '2', c.name]), { next: c }) },
  {
    name: 'Quadlet restart / auto-update (rm -f, run --replace, same port)',
    newPort: false,
    run: async (h, c, labels, body, port) => {
      await h.podman(['rm', '-f', '-t', '2', c.name]);
      return { next: await replaceOn(h, c, labels, body, port) };
    },
  },
  {
    name: 'run --replace on a new port',
    newPort: true,
    run: async (h, c, labels, body, port) => ({ next: await replaceOn(h, c, labels, body, port) }),
  },
  {
    name: 'podman stop, podman start',
    newPort: false,
    run: async (h, c) => {
      await h.podman(['stop', '-t', '2', c.name]);
      const startAt = performance.now();
      await h.podman(['start', c.name]);
      return { next: c, startAt };
    },
  },
];

interface Row {
  way: string;
  mode: string;
  r: LatencyLoadResult;
  outage: number;
}

async function main(haproxy: HaproxyVersion): Promise<string> {
  if (!hasWrk()) throw new Error('wrk is not installed (apt-get install wrk)');
  const h = await startPodmanHarness();
  const op = await startTestOperator({ pools: 10, slots: 10, haproxy });
  // Podman's events log followed as the operator does by default (--podman-events-log auto).
  const watcher = createContainerWatcher({ logger: silentLogger(), ops: op.operator.ops, socketPath: h.socketPath, labelSelector: `${TEST_LABEL}=${h.runId}`, drainPollMs: 50, ...eventsLogIfAny() });
  const rows: Row[] = [];
  const starts: number[] = [];
  try {
    await watcher.start();
    const pid = await op.workerPid();
    for (const [i, way] of WAYS.entries()) {
      for (const mode of ['hold on (default)', 'hold off (haproxy.hold=0)']) {
        const domain = `${i}-${mode.startsWith('hold on') ? 'on' : 'off'}.redeploy.bench.test`;
        const labels: Record<string, string> = { 'haproxy.domain': domain, ...(mode.startsWith('hold on') ? {} : { 'haproxy.hold': '0' }) };
        const port = await freePort();
        let c = await h.run({ port, body: domain, graceful: true, labels: { ...labels, 'haproxy.port': String(port) } });
        await waitFor(async () => (await get(op.httpPort, domain)).status === 200, { timeoutMs: 10_000, message: `${domain} routed` });
        const load = loadUntilStopped(`http://127.0.0.1:${op.httpPort}/`, domain, CONNECTIONS, 120);
        await load.running;
        let outage = 0;
        const failing = (err: Error) => load.stop().then(() => Promise.reject(err), () => Promise.reject(err));
        for (let round = 0; round < ROUNDS; round++) {
          await delay(PAUSE_MS);
          const newPort = way.newPort ? await freePort() : c.port;
          const watching = watchOutage(c.port, newPort);
          const { next, startAt } = await way.run(h, c, labels, domain, newPort);
          const [down, up] = await watching.catch((err: Error) => failing(new Error(`${way.name}, round ${round + 1}: ${err.message}`)));
          outage = Math.max(outage, up - down);
          if (process.env.BENCH_VERBOSE) console.error(`${way.name} ${mode} round ${round + 1}: outage ${Math.round(up - down)} ms`);
          if (startAt !== undefined) starts.push(up - startAt);
          c = next;
        }
        await delay(PAUSE_MS);
        rows.push({ way: way.name, mode, r: await load.stop(), outage });
        await h.remove(c.id);
      }
    }
    if ((await op.workerPid()) !== pid) throw new Error('HAProxy was reloaded during the benchmark');
  } finally {
    await watcher.stop();
    await op.stop();
    await h.cleanup();
  }
  const f = (n: number) => n.toFixed(0);
  const failed = (r: LatencyLoadResult) => r.non2xx + r.socketErrors;
  console.log(
    table(
      ['redeploy', 'mode', 'requests', 'failed', 'p50 ms', 'p99 ms', 'max ms', 'container outage ms (max)', 'max - outage ms'],
      rows.map(({ way, mode, r, outage }) => [way, mode, r.requests, failed(r), r.p50Ms.toFixed(1), f(r.p99Ms), f(r.maxMs), f(outage), f(r.maxMs - outage)]),
    ),
  );
  const startLine = `container start (podman start to port answering): median ${f(percentile(starts, 50))} ms, max ${f(Math.max(...starts))} ms`;
  console.log(startLine);
  const on = rows.filter((row) => row.mode.startsWith('hold on'));
  const off = rows.filter((row) => !row.mode.startsWith('hold on'));
  const onFailed = on.reduce((n, row) => n + failed(row.r), 0);
  const worst = on.reduce((a, b) => (b.r.maxMs - b.outage > a.r.maxMs - a.outage ? b : a));
  const met = onFailed === 0 && on.every((row) => row.r.maxMs <= row.outage + SLACK_MS);
  return (
    `${ROUNDS} of each of ${WAYS.length} redeploys under wrk -c${CONNECTIONS}: hold on ${onFailed} failed of ${on.reduce((n, row) => n + row.r.requests, 0)}, ` +
    `longest request ${f(worst.r.maxMs)} ms vs outage ${f(worst.outage)} ms (${worst.way}); hold off ${off.reduce((n, row) => n + failed(row.r), 0)} failed; ${startLine} ` +
    `(goal 0 failed, max <= outage + ${SLACK_MS} ms: ${met ? 'met' : 'NOT met'})`
  );
}

await eachHaproxy('redeploy', main);
