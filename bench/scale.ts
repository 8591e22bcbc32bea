/**
 * bench/scale: pools 100 / 500 / 1000 x 10 slots x 3 families. Per size:
 * HAProxy start time (spawn -> Runtime API answers) and `haproxy -c` time on
 * the operator's rendered config, the worker's RSS; then, in a fresh child
 * process, a real operator started on a state with one server per pool: the
 * restore after that fresh start (every route, from the operator's own log),
 * a full resync once running (ops.restore: observe every pool, plan,
 * nothing to send; median of 5) and the operator's RSS. Prints how each cost grows per
 * 100 pools. A size whose predicted time exceeds the budget is skipped with
 * the reason printed. HAProxy 2.6 will not start when 2 x maxconn plus one FD
 * per checked slot exceeds the FD hard limit (20000 on the test machine):
 * such a size runs with the largest maxconn that fits, or, when the slots
 * alone do not fit (1000 pools = 30000 slots), gets only `haproxy -c` and a
 * printed reason.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/log.ts';
import { resolveSettings } from '../src/config/settings.ts';
import { startOperator, statePaths } from '../src/operator.ts';
import type { DesiredState } from '../src/model/state.ts';
import { percentile, prepareHaproxy, startHaproxy, table } from './lib.ts';
import { freePort } from '../test/helpers/ports.ts';

const SIZES = (process.env.BENCH_SCALE_POOLS ?? '100,300,500,1000').split(',').map(Number);
const SLOTS = 10;
const DEFAULT_MAXCONN = 4096;
const MIN_MAXCONN = 256;
/** FDs HAProxy adds besides connections and checks (listeners, pollers, sockets), measured: 42. */
const FD_MARGIN = 64;
/** Per size, for the HAProxy part and the operator part together. */
const BUDGET_MS = Number(process.env.BENCH_SCALE_BUDGET_S ?? 120) * 1000;

interface OperatorFigures {
  startMs: number;
  restoreMs: number;
  restoreCommands: number;
  resyncMs: number;
  rssMb: number;
  heapMb: number;
}

function oneServerPerPool(pools: number): DesiredState {
  const state: DesiredState = { version: 1, domains: {} };
  for (let pool = 1; pool <= pools; pool++) {
    const address = `10.${(pool >> 8) & 255}.${pool & 255}.1`;
    state.domains[`site${pool}.scale.test`] = { pool, source: 'manual', servers: [{ family: 'http', slot: 1, address, port: 8080, weight: 1, state: 'ready', source: 'manual' }] };
  }
  return state;
}

/** Child mode: one real operator on a prepared state; prints its figures as one JSON line. */
async function operatorChild(pools: number, maxconn: number): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'hop-scale-'));
  const [httpPort, httpsPort, runtimePort, listenPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const settings = resolveSettings(
    { stateDir, bindAddress: '127.0.0.1', httpPort: String(httpPort), httpsPort: String(httpsPort), runtimeApi: `127.0.0.1:${runtimePort}`, listen: `127.0.0.1:${listenPort}`, pools: String(pools), slots: String(SLOTS), maxconn: String(maxconn), resyncInterval: '86400000' },
    {},
  );
  const paths = statePaths(settings);
  await mkdir(settings.confDir, { recursive: true });
  await writeFile(paths.serversFile, JSON.stringify(oneServerPerPool(pools)));
  // The restore after HAProxy starts is logged with its duration: read it from the log.
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
  const started = performance.now();
  const operator = await startOperator(settings, logger);
  // The parent's time limit sends SIGTERM: stop HAProxy (its own process group) before exiting.
  process.once('SIGTERM', () => void operator.stop().finally(() => process.exit(143)));
  try {
    const startMs = performance.now() - started;
    const restored = lines.map((l) => JSON.parse(l) as { msg: string; ms?: number; commands?: number }).find((l) => l.msg === 'routes restored');
    if (!restored) throw new Error('no "routes restored" log line');
    // Median of 5: the first call still pays for JIT warm-up.
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const steps = await operator.ops.restore();
      times.push(performance.now() - t);
      if (Array.isArray(steps) && steps.length !== 0) throw new Error(`resync after restore planned ${steps.length} commands, expected 0`);
    }
    const resyncMs = percentile(times, 50);
    const mem = process.memoryUsage();
    const figures: OperatorFigures = {
      startMs,
      restoreMs: restored.ms ?? NaN,
      restoreCommands: restored.commands ?? NaN,
      resyncMs,
      rssMb: mem.rss / 2 ** 20,
      heapMb: mem.heapUsed / 2 ** 20,
    };
    console.log(JSON.stringify(figures));
  } finally {
    await operator.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function runChild(pools: number, maxconn: number, timeoutMs: number): Promise<OperatorFigures> {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--operator', String(pools), String(maxconn)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  // SIGTERM lets the child stop its operator (and HAProxy) on the way out.
  const timer = setTimeout(() => proc.kill('SIGTERM'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`operator child (${pools} pools) exited ${code}: ${err.slice(-500)}`);
  return JSON.parse(out.trim().split('\n').pop()!) as OperatorFigures;
}

async function vmRssMb(pid: number | undefined): Promise<number> {
  if (!pid) return NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return kb ? Number(kb[1]) / 1024 : NaN;
}

/** The worker is the master's only child here: read it from /proc. */
async function workerOf(masterPid: number | undefined): Promise<number | undefined> {
  if (!masterPid) return undefined;
  const children = await readFile(`/proc/${masterPid}/task/${masterPid}/children`, 'utf8').catch(() => '');
  const pid = Number(children.trim().split(/\s+/)[0]);
  return pid > 0 ? pid : undefined;
}

interface Row {
  pools: number;
  servers: number;
  checkMs: number;
  /** Absent when HAProxy cannot start here; `reason` says why. */
  run?: { maxconn: number; startMs: number; workerRssMb: number; op: OperatorFigures };
  reason?: string;
}

/** The hard RLIMIT_NOFILE: HAProxy raises its soft limit up to this and no further. */
async function fdHardLimit(): Promise<number> {
  const limits = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const m = /Max open files\s+\d+\s+(\d+|unlimited)/.exec(limits);
  return !m || m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/**
 * HAProxy 2.6 refuses to start when maxsock exceeds the FD limit; maxsock is
 * 2 x maxconn + one per server with `check` (every slot) + a few (listeners,
 * pollers): 500 pools at maxconn 4096 want 23234 here. Returns the maxconn to
 * use: the default when it fits, else the largest multiple of 100 that does,
 * or undefined when the slots alone do not fit.
 */
function maxconnFor(pools: number, limit: number): number | undefined {
  const fixed = pools * SLOTS * 3 + FD_MARGIN;
  if (fixed + 2 * DEFAULT_MAXCONN <= limit) return DEFAULT_MAXCONN;
  const fit = Math.floor((limit - fixed) / 2 / 100) * 100;
  return fit >= MIN_MAXCONN ? fit : undefined;
}

async function checkTime(pools: number): Promise<number> {
  const prepared = await prepareHaproxy(pools, SLOTS);
  try {
    const t = performance.now();
    const check = spawnSync('haproxy', ['-c', '-q', '-f', prepared.cfg], { encoding: 'utf8', timeout: BUDGET_MS });
    const ms = performance.now() - t;
    if (check.status !== 0) throw new Error(`haproxy -c failed (${check.status}): ${(check.stderr ?? '').slice(0, 500)}`);
    return ms;
  } finally {
    await rm(prepared.dir, { recursive: true, force: true });
  }
}

async function measure(pools: number, limit: number): Promise<Row> {
  const started = performance.now();
  const row: Row = { pools, servers: pools * SLOTS * 3, checkMs: await checkTime(pools) };
  const maxconn = maxconnFor(pools, limit);
  if (maxconn === undefined) {
    row.reason = `${pools} pools: HAProxy not started: ${row.servers} checked slots + 2 x maxconn >= ${MIN_MAXCONN} exceed the FD limit ${limit} (ulimit -Hn; raise LimitNOFILE to >= ${row.servers + FD_MARGIN + 2 * DEFAULT_MAXCONN})`;
    return row;
  }
  const h = await startHaproxy(pools, SLOTS, { maxconn });
  let workerRssMb: number;
  try {
    workerRssMb = await vmRssMb(await workerOf(h.proc.pid));
  } finally {
    await h.stop();
  }
  const left = BUDGET_MS - (performance.now() - started);
  const op = await runChild(pools, maxconn, Math.max(10000, left));
  row.run = { maxconn, startMs: h.startMs, workerRssMb, op };
  if (maxconn !== DEFAULT_MAXCONN) row.reason = `${pools} pools: run with maxconn ${maxconn} (default ${DEFAULT_MAXCONN} needs ${row.servers + FD_MARGIN + 2 * DEFAULT_MAXCONN} FDs, limit ${limit})`;
  return row;
}

async function main(): Promise<void> {
  const limit = await fdHardLimit();
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const pools of SIZES) {
    const prev = rows.at(-1);
    if (prev?.run) {
      // Start, check and restore all grow about linearly with the pools.
      const prevTotal = prev.checkMs + prev.run.startMs + prev.run.op.startMs + prev.run.op.resyncMs;
      const predicted = (prevTotal * pools) / prev.pools;
      if (predicted > BUDGET_MS) {
        notes.push(`${pools} pools skipped: predicted ${(predicted / 1000).toFixed(0)} s > budget ${BUDGET_MS / 1000} s (BENCH_SCALE_BUDGET_S)`);
        continue;
      }
    }
    try {
      const row = await measure(pools, limit);
      rows.push(row);
      if (row.reason) notes.push(row.reason);
    } catch (error) {
      notes.push(`${pools} pools failed: ${(error as Error).message}`);
    }
  }
  const f = (n: number, d = 0) => n.toFixed(d);
  const na = 'n/a';
  console.log(
    table(
      ['pools', 'slots', 'haproxy -c ms', 'maxconn', 'haproxy start ms', 'worker RSS MB', 'operator start ms', 'restore ms (cmds)', 'full resync ms', 'operator RSS MB'],
      rows.map((r) =>
        r.run
          ? [r.pools, r.servers, f(r.checkMs), r.run.maxconn, f(r.run.startMs), f(r.run.workerRssMb), f(r.run.op.startMs), `${f(r.run.op.restoreMs)} (${r.run.op.restoreCommands})`, f(r.run.op.resyncMs, 1), f(r.run.op.rssMb)]
          : [r.pools, r.servers, f(r.checkMs), na, na, na, na, na, na, na],
      ),
    ),
  );
  for (const n of notes) console.log(n);
  const ran = rows.filter((r) => r.run);
  const growth = (pick: (r: Row) => number | undefined, from: Row[]) => {
    const a = from[0]!;
    const b = from.at(-1)!;
    const pa = pick(a)!;
    const pb = pick(b)!;
    return [f(pa, 1), from.length > 1 ? f((pb - pa) / ((b.pools - a.pools) / 100), 1) : na, from.length > 1 ? `${f(pb / pa, 1)}x for ${f(b.pools / a.pools, 1)}x pools (${a.pools}->${b.pools})` : na];
  };
  if (rows.length >= 2 || ran.length >= 2) {
    console.log('\ngrowth (ms or MB), from the smallest to the largest size measured:');
    console.log(
      table(
        ['cost', 'at smallest', 'per extra 100 pools', 'ratio'],
        [
          ['haproxy -c ms', ...growth((r) => r.checkMs, rows)],
          ...(ran.length >= 2
            ? [
                ['haproxy start ms', ...growth((r) => r.run?.startMs, ran)],
                ['worker RSS MB', ...growth((r) => r.run?.workerRssMb, ran)],
                ['restore ms', ...growth((r) => r.run?.op.restoreMs, ran)],
                ['full resync ms', ...growth((r) => r.run?.op.resyncMs, ran)],
                ['operator RSS MB', ...growth((r) => r.run?.op.rssMb, ran)],
              ]
            : []),
        ],
      ),
    );
  }
  const list = (pick: (r: Row) => number | undefined, from: Row[]) => from.map((r) => f(pick(r) ?? NaN)).join('/');
  const summary = rows.length
    ? `scale: pools ${rows.map((r) => r.pools).join('/')} x ${SLOTS} slots x 3: haproxy -c ${list((r) => r.checkMs, rows)} ms; started at ${ran.map((r) => r.pools).join('/')} pools: haproxy start ${list((r) => r.run?.startMs, ran)} ms, restore ${list((r) => r.run?.op.restoreMs, ran)} ms, full resync ${list((r) => r.run?.op.resyncMs, ran)} ms, operator RSS ${list((r) => r.run?.op.rssMb, ran)} MB${rows.length > ran.length ? `; ${rows.length - ran.length} size(s) not started (FD limit ${limit})` : ''}`
    : `scale: no size measured (${notes.join('; ')})`;
  console.log(summary);
  if (!ran.length) process.exitCode = 1;
}

const at = process.argv.indexOf('--operator');
if (at >= 0) await operatorChild(Number(process.argv[at + 1]), Number(process.argv[at + 2]));
else await main();
