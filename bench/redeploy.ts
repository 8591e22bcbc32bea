/**
 * bench/redeploy: a single-replica app (busybox httpd, host network) under
 * `wrk` load while it is restarted (`podman restart -t 2`) and replaced
 * (`podman run --replace`, a new id on a new port under the same name, as
 * auto-update does) ROUNDS times each; the same schedule runs for a domain
 * with the default hold and for one with `haproxy.hold=0` (the baseline:
 * the behaviour without the hold), on the same operator and HAProxy.
 * Reported: requests, failed (non-2xx and socket errors), p50/p99/max
 * latency, and the container's own outage per redeploy (from the command to
 * the first answer on its port, polled directly). Goal: 0 failed with the
 * hold, and max latency <= the longest outage plus 250 ms. Loopback only;
 * every wrk run and every round is bounded.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { startTestOperator } from '../test/helpers/haproxy.ts';
import { get } from '../test/helpers/http.ts';
import { freePort } from '../test/helpers/ports.ts';
import { startPodmanHarness, TEST_LABEL, type PodmanHarness, type TestContainer } from '../test/helpers/podman.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { createContainerWatcher } from '../src/podman/watcher.ts';
import { eachHaproxy, hasWrk, table, type HaproxyVersion } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_REDEPLOY_ROUNDS ?? 3);
const CONNECTIONS = 4;
const PAUSE_MS = 1500;
const SLACK_MS = 250;

function silentLogger() {
  const noop = () => undefined;
  const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, level: 'silent', child: () => logger };
  return logger as never;
}

interface WrkLatency {
  requests: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

const UNIT: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const ms = (value: string, unit: string) => Number(value) * UNIT[unit]!;

/** Requests, failures and latency from `wrk --latency` output. */
function parseWrkLatency(out: string): WrkLatency {
  const req = /(\d+) requests in/.exec(out);
  const lat = /Latency\s+([\d.]+)(us|ms|s|m)\s+([\d.]+)(us|ms|s|m)\s+([\d.]+)(us|ms|s|m)/.exec(out);
  const p = (q: string) => /(?:^|\n)\s+(\d+)%\s+([\d.]+)(us|ms|s|m)/g;
  const dist = new Map([...out.matchAll(p(''))].map((m) => [m[1]!, ms(m[2]!, m[3]!)]));
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (!req || !lat) throw new Error(`unexpected wrk output: ${out.slice(0, 400)}`);
  return {
    requests: Number(req[1]),
    failed: (non ? Number(non[1]) : 0) + (sock ? sock.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0),
    p50: dist.get('50') ?? NaN,
    p99: dist.get('99') ?? NaN,
    max: ms(lat[5]!, lat[6]!),
  };
}

function wrk(url: string, host: string, seconds: number): Promise<WrkLatency> {
  const proc = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '20s', '--latency', '-H', `Host: ${host}`, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    proc.once('exit', (code) => (code === 0 ? resolve(parseWrkLatency(out)) : reject(new Error(`wrk exited ${code}: ${out.slice(0, 300)}`)))),
  );
}

/** Milliseconds from now until 127.0.0.1:port answers 200 (polled every 5 ms, at most 20 s). */
async function outage(port: number, since: number): Promise<number> {
  while (performance.now() - since < 20_000) {
    const ok = await get(port, 'direct').then((r) => r.status === 200, () => false);
    if (ok) return performance.now() - since;
    await delay(5);
  }
  throw new Error(`port ${port} did not answer within 20 s`);
}

/** ROUNDS x (restart, replace) of the container serving `domain`; the outage of each. */
async function redeploys(h: PodmanHarness, first: TestContainer, domain: string, labels: Record<string, string>): Promise<number[]> {
  const outages: number[] = [];
  let c = first;
  for (let i = 0; i < ROUNDS; i++) {
    await delay(PAUSE_MS);
    let t0 = performance.now();
    const restart = h.podman(['restart', '-t', '2', c.name]);
    await delay(50);
    outages.push(await outage(c.port, t0));
    await restart;
    await delay(PAUSE_MS);
    const port = await freePort();
    t0 = performance.now();
    const fresh = h.run({ port, replace: c.name, body: `${domain}-${i}`, labels: { ...labels, 'haproxy.domain': domain, 'haproxy.port': String(port) } });
    outages.push(await outage(port, t0));
    c = await fresh;
  }
  await delay(PAUSE_MS);
  return outages;
}

async function main(haproxy: HaproxyVersion): Promise<string> {
  if (!hasWrk()) throw new Error('wrk is not installed (apt-get install wrk)');
  const h = await startPodmanHarness();
  const op = await startTestOperator({ pools: 10, slots: 10, haproxy });
  const watcher = createContainerWatcher({ logger: silentLogger(), ops: op.operator.ops, socketPath: h.socketPath, labelSelector: `${TEST_LABEL}=${h.runId}`, drainPollMs: 50 });
  const rows: Array<{ mode: string; r: WrkLatency; worst: number }> = [];
  try {
    await watcher.start();
    const pid = await op.workerPid();
    for (const mode of ['hold on (default)', 'hold off (haproxy.hold=0)']) {
      const domain = mode.startsWith('hold on') ? 'on.redeploy.bench.test' : 'off.redeploy.bench.test';
      const labels: Record<string, string> = mode.startsWith('hold on') ? {} : { 'haproxy.hold': '0' };
      const port = await freePort();
      const c = await h.run({ port, body: domain, labels: { ...labels, 'haproxy.domain': domain, 'haproxy.port': String(port) } });
      await waitFor(async () => (await get(op.httpPort, domain)).status === 200, { timeoutMs: 10_000, message: `${domain} routed` });
      // The load outlasts the schedule: each round is ~2 pauses plus two redeploys.
      const seconds = Math.ceil((ROUNDS * (2 * PAUSE_MS + 2500) + PAUSE_MS) / 1000) + 2;
      const load = wrk(`http://127.0.0.1:${op.httpPort}/`, domain, seconds);
      const outages = await redeploys(h, c, domain, labels);
      rows.push({ mode, r: await load, worst: Math.max(...outages) });
    }
    if ((await op.workerPid()) !== pid) throw new Error('HAProxy was reloaded during the benchmark');
  } finally {
    await watcher.stop();
    await op.stop();
    await h.cleanup();
  }
  const f = (n: number) => n.toFixed(1);
  console.log(table(['mode', 'requests', 'failed', 'p50 ms', 'p99 ms', 'max ms', 'longest container outage ms'], rows.map(({ mode, r, worst }) => [mode, r.requests, r.failed, f(r.p50), f(r.p99), f(r.max), f(worst)])));
  const on = rows[0]!;
  const off = rows[1]!;
  const met = on.r.failed === 0 && on.r.max <= on.worst + SLACK_MS;
  return `${ROUNDS} restarts + ${ROUNDS} replacements under wrk -c${CONNECTIONS}: hold on ${on.r.failed} failed, max ${f(on.r.max)} ms (container outage up to ${f(on.worst)} ms); hold off ${off.r.failed} failed (goal 0 failed, max <= outage + ${SLACK_MS} ms: ${met ? 'met' : 'NOT met'})`;
}

await eachHaproxy('redeploy', main);
