/**
 * bench/route-throughput: route changes per second through the operations
 * layer, with 8 concurrent callers; each call returns only once its change
 * is saved (servers.json, fsync) and live in HAProxy. Runs the code before
 * the reconcile runner (the source of commit BENCH_BASE, 1e3963d by default,
 * unpacked with `git archive` into a temp dir) and this tree, each against
 * its own fresh HAProxy, in the same run. After each run the bench checks
 * that HAProxy and servers.json both hold every caller's last change.
 * Goal: >= 1,000 changes/s.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { percentile, startHaproxy, table, type BenchHaproxy } from './lib.ts';

const CALLERS = 8;
const CHANGES_PER_CALLER = Number(process.env.BENCH_CHANGES ?? 400);
const BASE = process.env.BENCH_BASE ?? '1e3963d';
const POOLS = CALLERS + 2;
const GOAL = 1000;

/** The slice of the operations API both versions share. */
interface OpsLike {
  addDomain(input: { domain: string; ip: string; port?: number }): Promise<unknown>;
  addServer(input: { domain: string; slot: number; ip: string; port: number }): Promise<unknown>;
  snapshot(): { domains: Record<string, { servers: Array<{ slot: number; family: string; port: number }> }> };
}

interface Built {
  ops: OpsLike;
  serversFile: string;
  close(): void;
}

type Build = (h: BenchHaproxy) => Promise<Built>;

/** Imports the store, runtime client and operations of the tree at `root` and wires them as its operator did. */
function builder(root: string, kind: 'before' | 'runner'): Build {
  return async (h) => {
    const { createStateStore } = await import(join(root, 'src/store/state-store.ts'));
    const { createRuntimeClient } = await import(join(root, 'src/haproxy/runtime-client.ts'));
    const serversFile = join(h.dir, 'servers.json');
    const store = createStateStore({ serversFile, mapFile: h.mapFile, checksMapFile: h.checksMapFile });
    const runtime = createRuntimeClient({ address: { kind: 'tcp', host: '127.0.0.1', port: h.runtimePort } });
    const initialState = await store.load();
    const common = { store, runtime, capacity: { pools: POOLS, slots: 10 }, files: { mapFile: h.mapFile, checksMapFile: h.checksMapFile }, initialState, logger: pino({ level: 'silent' }) };
    const ops: OpsLike =
      kind === 'before'
        ? (await import(join(root, 'src/operations/operations.ts'))).createOperations(common)
        : (await import(join(root, 'src/wiring/routing.ts'))).createRouting(common).ops;
    return { ops, serversFile, close: () => runtime.close() };
  };
}

/** The source of `commit` in a temp dir, sharing this tree's node_modules. */
async function checkout(commit: string): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'hop-bench-base-'));
  execFileSync('sh', ['-c', `git archive ${commit} src | tar -x -C ${root}`]);
  await symlink(resolve('node_modules'), join(root, 'node_modules'));
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

interface Result {
  changes: number;
  seconds: number;
  p50: number;
  p99: number;
  verified: boolean;
}

async function run(build: Build): Promise<Result> {
  const h = await startHaproxy(POOLS);
  const built = await build(h);
  try {
    const domains = Array.from({ length: CALLERS }, (_, i) => `caller${i}.bench.test`);
    for (const domain of domains) await built.ops.addDomain({ domain, ip: '10.0.0.1', port: 8080 });
    const latencies: number[] = [];
    const last = new Map<string, number>();
    const started = performance.now();
    await Promise.all(
      domains.map(async (domain, caller) => {
        for (let k = 0; k < CHANGES_PER_CALLER; k++) {
          const port = 10000 + k;
          const t = performance.now();
          await built.ops.addServer({ domain, slot: 1 + (k % 10), ip: `10.${caller}.0.${1 + (k % 200)}`, port });
          latencies.push(performance.now() - t);
          last.set(`${domain}/${1 + (k % 10)}`, port);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    // Every caller's last change is both live and saved.
    const live = await h.runtime.execute(['show servers state']);
    const saved = JSON.parse(await readFile(built.serversFile, 'utf8')) as ReturnType<OpsLike['snapshot']>;
    let verified = true;
    for (const [key, port] of last) {
      const [domain, slot] = key.split('/') as [string, string];
      const server = saved.domains[domain]?.servers.find((s) => s.slot === Number(slot) && s.family === 'http');
      if (server?.port !== port) verified = false;
      if (!new RegExp(`\\s${port}\\s`).test(live[0] ?? '')) verified = false;
    }
    return { changes: latencies.length, seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), verified };
  } finally {
    built.close();
    await h.stop();
  }
}

const base = await checkout(BASE);
let before: Result;
let after: Result;
try {
  before = await run(builder(base.root, 'before'));
  after = await run(builder(resolve('.'), 'runner'));
} finally {
  await base.remove();
}
const rate = (r: Result) => r.changes / r.seconds;
console.log(
  table(
    ['code', 'callers', 'changes', 'changes/s', 'p50 ms', 'p99 ms', 'all saved + live'],
    [
      [`before (${BASE}): one save + reconcile per call`, CALLERS, before.changes, rate(before).toFixed(0), before.p50.toFixed(2), before.p99.toFixed(2), String(before.verified)],
      ['runner: coalesced passes, group commit, cached observe', CALLERS, after.changes, rate(after).toFixed(0), after.p50.toFixed(2), after.p99.toFixed(2), String(after.verified)],
    ],
  ),
);
const ok = rate(after) >= GOAL && after.verified && before.verified;
console.log(
  `route-throughput: ${rate(after).toFixed(0)} changes/s with ${CALLERS} callers (goal >= ${GOAL}), ${(rate(after) / rate(before)).toFixed(1)}x the code before the runner (${rate(before).toFixed(0)}/s): ${ok ? 'goal met' : 'GOAL MISSED'}`,
);
process.exitCode = ok ? 0 : 1;
