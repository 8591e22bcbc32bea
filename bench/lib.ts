/**
 * @module Shared benchmark helpers: a fresh HAProxy from the operator's own
 * renderer on free loopback ports, stopped by PID; table printing; bounded
 * HTTP load (wrk, or a node loop) that always stops by itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderConfig, checksMapFile } from '../src/haproxy/config-render.ts';
import { writeHoldLua } from '../src/haproxy/hold-lua.ts';
import { holdMapFile } from '../src/model/hold.ts';
import { ensureFallbackCert } from '../src/haproxy/fallback-cert.ts';
import { createRuntimeClient, type RuntimeClient } from '../src/haproxy/runtime-client.ts';
import { commands } from '../src/haproxy/commands.ts';
import { pollUntil } from '../src/os/process-util.ts';
import { freePort } from '../test/helpers/ports.ts';
import { haproxyVersions, type HaproxyVersion } from '../test/helpers/haproxy-versions.ts';

export type { HaproxyVersion };

export interface BenchHaproxy {
  dir: string;
  mapFile: string;
  checksMapFile: string;
  runtimePort: number;
  httpPort: number;
  runtime: RuntimeClient;
  proc: ChildProcess;
  startMs: number;
  stop(): Promise<void>;
}

export interface BenchHaproxyOptions {
  /** HAProxy maxconn (default 4096, as the operator renders it). */
  maxconn?: number;
  /** HAProxy binary (default `haproxy` on the PATH). */
  bin?: string;
}

/** A rendered, not yet started HAProxy: its directory, config and ports. */
export interface PreparedHaproxy {
  dir: string;
  cfg: string;
  mapFile: string;
  runtimePort: number;
  httpPort: number;
  httpsPort: number;
}

/** Renders haproxy.cfg (the operator's renderer) with empty maps and a fallback cert into a new temp dir. */
export async function prepareHaproxy(pools: number, slots = 10, opts: BenchHaproxyOptions = {}): Promise<PreparedHaproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'hop-bench-'));
  const certDir = join(dir, 'certs');
  await mkdir(certDir);
  await mkdir(join(dir, 'run'));
  await ensureFallbackCert(certDir);
  const mapFile = join(dir, 'domains.map');
  await writeFile(mapFile, '');
  await writeFile(checksMapFile(mapFile), '');
  await writeFile(holdMapFile(mapFile), '');
  await writeHoldLua(mapFile);
  const [runtimePort, httpPort, httpsPort] = [await freePort(), await freePort(), await freePort()];
  const cfg = join(dir, 'haproxy.cfg');
  await writeFile(
    cfg,
    renderConfig({
      mapFile,
      certDir,
      runtimeApi: `127.0.0.1:${runtimePort}`,
      runtimeSocket: join(dir, 'run', 'haproxy.sock'),
      httpBind: `127.0.0.1:${httpPort}`,
      httpsBind: `127.0.0.1:${httpsPort}`,
      pools,
      slots,
      quic: false,
      quicPort: httpsPort,
      checkInterMs: 2000,
      maxconn: opts.maxconn ?? 4096,
    }),
  );
  return { dir, cfg, mapFile, runtimePort, httpPort, httpsPort };
}

/** Starts HAProxy with `pools` x 3 families x `slots`, like the managed mode does. */
export async function startHaproxy(pools: number, slots = 10, opts: BenchHaproxyOptions = {}): Promise<BenchHaproxy> {
  const { dir, cfg, mapFile, runtimePort, httpPort } = await prepareHaproxy(pools, slots, opts);
  const started = performance.now();
  const proc = spawn(opts.bin ?? 'haproxy', ['-W', '-S', `${join(dir, 'run', 'master.sock')},level,admin`, '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  let exited = false;
  proc.once('exit', () => (exited = true));
  const runtime = createRuntimeClient({ address: { kind: 'tcp', host: '127.0.0.1', port: runtimePort } });
  const up = await pollUntil(async () => {
    if (exited) return true;
    try {
      await runtime.execute([commands.showInfo()]);
      return true;
    } catch {
      return false;
    }
  }, 60000, 5);
  if (!up || exited) {
    runtime.close();
    if (!exited) proc.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`haproxy did not start: ${stderr.trim().split('\n').filter((l) => l.includes('ALERT')).join('; ') || stderr.trim().slice(-300)}`);
  }
  const startMs = performance.now() - started;
  return {
    dir,
    mapFile,
    checksMapFile: checksMapFile(mapFile),
    runtimePort,
    httpPort,
    runtime,
    proc,
    startMs,
    async stop() {
      runtime.close();
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs a benchmark once per HAProxy version (2.6, and the cached 3.0) and
 * ends with one line joining every version's summary, which is the line
 * `npm run bench` shows in its summary. A missing version is reported, not
 * silently left out.
 */
export async function eachHaproxy(name: string, run: (haproxy: HaproxyVersion) => Promise<string>): Promise<void> {
  const lines: string[] = [];
  for (const v of haproxyVersions()) {
    if (v.missing) {
      lines.push(`${v.label}: not run (${v.missing})`);
      continue;
    }
    console.log(`\n--- ${v.label} (${v.caps.version}) ---`);
    const summary = `${v.label}: ${await run(v)}`;
    console.log(summary);
    lines.push(summary);
  }
  console.log(`\n${name}: ${lines.join(' | ')}`);
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** What a bounded load run saw: requests completed, and failures (non-2xx/3xx replies, socket errors). */
export interface LoadResult {
  requests: number;
  non2xx: number;
  socketErrors: number;
  seconds: number;
  tool: 'wrk' | 'node';
}

export function parseWrk(output: string): Omit<LoadResult, 'tool'> {
  // wrk prints the duration as 5.00s, or 1.50m past a minute.
  const req = /(\d+) requests in ([\d.]+(?:us|ms|s|m|h))/.exec(output);
  if (!req) throw new Error(`unexpected wrk output: ${output.slice(0, 300)}`);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requests: Number(req[1]),
    seconds: wrkMs(req[2]!) / 1000,
    socketErrors: sock ? sock.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: non ? Number(non[1]) : 0,
  };
}

export function hasWrk(): boolean {
  try {
    return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
  } catch {
    return false;
  }
}

/** A bounded keep-alive load without wrk: `connections` loops until `seconds` pass. */
async function nodeLoad(url: string, host: string, connections: number, seconds: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const deadline = performance.now() + seconds * 1000;
  const out: LoadResult = { requests: 0, non2xx: 0, socketErrors: 0, seconds, tool: 'node' };
  const one = () =>
    new Promise<void>((resolve) => {
      const req = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, agent, headers: { host }, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          out.requests += 1;
          if ((res.statusCode ?? 0) >= 400) out.non2xx += 1;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        out.socketErrors += 1;
        resolve();
      });
      req.end();
    });
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < deadline) await one();
  }));
  agent.destroy();
  return out;
}

/**
 * One fixed-length load run against `url` with a Host header: wrk when
 * installed (one thread, `connections` keep-alive connections), otherwise a
 * node loop. It always stops by itself after `seconds`.
 */
export async function loadRun(url: string, host: string, connections: number, seconds: number): Promise<LoadResult> {
  if (!hasWrk()) return nodeLoad(url, host, connections, seconds);
  const proc = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-H', `Host: ${host}`, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  if (code !== 0) throw new Error(`wrk exited ${code}: ${output.slice(0, 300)}`);
  return { ...parseWrk(output), tool: 'wrk' };
}

/** Repeats fixed-length load runs until `done()` is true after a run; sums them. */
export async function loadWhile(done: () => boolean, url: string, host: string, connections: number, segmentSeconds: number): Promise<LoadResult & { segments: number }> {
  const total = { requests: 0, non2xx: 0, socketErrors: 0, seconds: 0, tool: 'wrk' as LoadResult['tool'], segments: 0 };
  do {
    const r = await loadRun(url, host, connections, segmentSeconds);
    total.requests += r.requests;
    total.non2xx += r.non2xx;
    total.socketErrors += r.socketErrors;
    total.seconds += r.seconds;
    total.tool = r.tool;
    total.segments += 1;
  } while (!done());
  return total;
}

/** A wrk duration ("512.00us", "1.56ms", "2.01s", "1.00m") in ms. */
function wrkMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(value);
  if (!m) throw new Error(`unexpected wrk duration: ${value}`);
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'us'];
}

/** Latency of a `wrk --latency` run: p50, p99 (its distribution) and max (the Latency line), in ms. */
export function parseWrkLatency(output: string): { p50Ms: number; p99Ms: number; maxMs: number } {
  const line = /^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(output);
  const p50 = /^\s*50%\s+(\S+)/m.exec(output);
  const p99 = /^\s*99%\s+(\S+)/m.exec(output);
  if (!line || !p50 || !p99) throw new Error(`wrk output without latency: ${output.slice(0, 300)}`);
  return { p50Ms: wrkMs(p50[1]!), p99Ms: wrkMs(p99[1]!), maxMs: wrkMs(line[3]!) };
}

export type LatencyLoadResult = LoadResult & { p50Ms: number; p99Ms: number; maxMs: number; wrongBody: number };

/** A running wrk: stop() ends it (SIGINT: wrk prints its figures) and returns them. */
export interface OpenLoad {
  /** Resolves when wrk's thread has started (before it connects); rejects if wrk exits first. */
  running: Promise<void>;
  stop(): Promise<LatencyLoadResult>;
}

export interface OpenLoadOptions {
  /** Each connection waits this long between requests (a paced load; default 0: as fast as it can). */
  delayMs?: number;
  /** A 200 with another body counts in `wrongBody` (a proxy answering for an unknown host). */
  expectBody?: string;
}

/** wrk's Lua hooks: pacing, and counting 200s whose body is not the expected one (per thread, summed in done). */
function wrkScript(opts: OpenLoadOptions): string {
  return [
    'local threads = {}',
    'function setup(thread) table.insert(threads, thread) end',
    // stderr is unbuffered (stdout is not, into a pipe): the sign that the thread runs.
    'function init(args) wrong = 0; io.stderr:write("wrk: thread started\\n") end',
    ...(opts.delayMs ? [`function delay() return ${Math.round(opts.delayMs)} end`] : []),
    ...(opts.expectBody !== undefined ? [`function response(status, headers, body) if status == 200 and body ~= ${JSON.stringify(opts.expectBody)} then wrong = wrong + 1 end end`] : []),
    'function done(summary, latency, requests)',
    '  local n = 0',
    '  for _, t in ipairs(threads) do n = n + (t:get("wrong") or 0) end',
    '  io.write(string.format("Wrong body: %d\\n", n))',
    'end',
    '',
  ].join('\n');
}

/**
 * One wrk run with latency percentiles (one thread, `connections` keep-alive
 * connections) that lasts until stop() or `maxSeconds`, whichever comes
 * first, so figures cover exactly the phase measured. Needs wrk.
 */
export function loadUntilStopped(url: string, host: string, connections: number, maxSeconds: number, opts: OpenLoadOptions = {}): OpenLoad {
  const dir = mkdtempSync(join(tmpdir(), 'hop-wrk-'));
  const script = join(dir, 'load.lua');
  writeFileSync(script, wrkScript(opts));
  const proc = spawn('wrk', ['-t1', `-c${connections}`, `-d${maxSeconds}s`, '--timeout', '5s', '--latency', '-s', script, '-H', `Host: ${host}`, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code, signal) => resolve(signal ? 0 : code)));
  const running = new Promise<void>((resolve, reject) => {
    proc.stderr!.on('data', () => output.includes('wrk: thread started') && resolve());
    void exited.then(() => reject(new Error(`wrk exited at start: ${output.slice(0, 300)}`)));
  });
  running.catch(() => undefined);
  // Never left running past the bench, even when it is interrupted or dies.
  const kill = () => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGINT'));
  const abandon = () => {
    kill();
    rmSync(dir, { recursive: true, force: true });
  };
  const forget = onInterrupt(async () => abandon());
  process.once('exit', abandon);
  return {
    running,
    async stop() {
      forget();
      process.removeListener('exit', abandon);
      kill();
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`wrk exited ${code}: ${output.slice(0, 300)}`);
      const wrong = /Wrong body: (\d+)/.exec(output);
      return { ...parseWrk(output), ...parseWrkLatency(output), wrongBody: wrong ? Number(wrong[1]) : 0, tool: 'wrk' };
    },
  };
}

const exitSteps: Array<() => Promise<void>> = [];
let exitHooked = false;

/**
 * Runs `step` (stop an engine, remove its files) if the bench is interrupted
 * (SIGINT, SIGTERM, SIGHUP) before it unregisters the step with the returned
 * function. Steps run last registered first, then the bench exits 130.
 */
export function onInterrupt(step: () => Promise<void>): () => void {
  if (!exitHooked) {
    exitHooked = true;
    const run = async () => {
      const deadline = setTimeout(() => process.exit(130), 15_000);
      deadline.unref();
      while (exitSteps.length) await exitSteps.pop()!().catch(() => undefined);
      process.exit(130);
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => void run());
  }
  exitSteps.push(step);
  return () => {
    const i = exitSteps.lastIndexOf(step);
    if (i >= 0) exitSteps.splice(i, 1);
  };
}
