/**
 * bench/peers: haproxy-operator against the real peers, side by side in one
 * run, on one workload (bench/peers/workload.ts): a steady host under wrk
 * keep-alive load while 500 route changes of other hosts are made, then its
 * single replica restarted twice. Engines, each started and stopped here on
 * free loopback ports:
 *   - haproxy-operator, changes through the operations layer and through MCP;
 *   - Caddy 2.6 driven like caddy-docker-proxy (whole config to POST /load per
 *     change; and with its default 100 ms event throttle);
 *   - nginx driven like nginx-proxy (config regenerated, nginx -s reload);
 *   - HAProxy 2.6 reloaded per change (reload-based HAProxy label proxies).
 * Traefik is not packaged for Debian and cannot be fetched here: not measured.
 * Prints one row per engine and a summary line: ours against the best peer
 * on each figure. Needs wrk, haproxy, caddy, nginx (scripts/ensure-bench-deps.sh).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackend } from '../test/helpers/http.ts';
import { hasWrk, onInterrupt, percentile, table, type LatencyLoadResult } from './lib.ts';
import { freePort } from '../test/helpers/ports.ts';
import { startCaddy } from './peers/caddy.ts';
import type { EngineFactory } from './peers/engine.ts';
import { startReloadHaproxy } from './peers/haproxy-reload.ts';
import { changePlan } from './peers/model.ts';
import { startNginx } from './peers/nginx.ts';
import { startOperatorEngine } from './peers/operator.ts';
import { replica } from './peers/replica.ts';
import { runWorkload, type EngineResult } from './peers/workload.ts';

const CHANGES = Number(process.env.BENCH_PEERS_CHANGES ?? 500);
const CONNECTIONS = Number(process.env.BENCH_PEERS_CONNECTIONS ?? 16);
/** Paced, not flat out: a failure then costs what a success costs, and the engines keep CPU to work with. */
const DELAY_MS = Number(process.env.BENCH_PEERS_DELAY_MS ?? 5);
const BUDGET_MS = Number(process.env.BENCH_PEERS_BUDGET_S ?? 300) * 1000;
const POOLS = 20;
/** caddy-docker-proxy's --event-throttle-interval default (cmd.go, README: 100ms). */
const CDP_THROTTLE_MS = 100;

/** `key` selects with BENCH_PEERS_ONLY=key,key; `short` names the engine in the summary line. */
const ENGINES: Array<{ key: string; short: string; ours: boolean; start: EngineFactory }> = [
  { key: 'ops', short: 'operations layer', ours: true, start: (m) => startOperatorEngine(m, 'ops', POOLS) },
  { key: 'mcp', short: 'MCP', ours: true, start: (m) => startOperatorEngine(m, 'mcp', POOLS) },
  { key: 'caddy', short: 'Caddy', ours: false, start: (m) => startCaddy(m, { debounceMs: 0 }) },
  { key: 'caddy-throttle', short: 'Caddy throttled', ours: false, start: (m) => startCaddy(m, { debounceMs: CDP_THROTTLE_MS }) },
  { key: 'nginx', short: 'nginx', ours: false, start: (m) => startNginx(m) },
  { key: 'haproxy-reload', short: 'HAProxy reload', ours: false, start: (m) => startReloadHaproxy(POOLS, m) },
];
const only = process.env.BENCH_PEERS_ONLY?.split(',');

if (!hasWrk()) throw new Error('bench/peers needs wrk (apt-get install wrk; npm run bench runs scripts/ensure-deps.sh)');
const logDir = await mkdtemp(join(tmpdir(), 'hop-peers-'));
const steady = replica(await freePort(), 'steady', logDir);
const others = [await startBackend('other'), await startBackend('other'), await startBackend('other')];
const loadBefore = loadavg();
type Row = EngineResult & { ours: boolean; short: string };
const results: Row[] = [];
const cleanup = async () => {
  await steady.stop();
  for (const o of others) await o.close();
  await rm(logDir, { recursive: true, force: true });
};
onInterrupt(cleanup);
try {
  await steady.start();
  for (const e of ENGINES.filter((x) => !only || only.includes(x.key))) {
    const r = await runWorkload(e.start, {
      plan: changePlan(CHANGES, 'peers.test'),
      steady,
      otherPort: (slot) => others[(slot - 1) % others.length]!.port,
      otherBody: 'other',
      connections: CONNECTIONS,
      delayMs: DELAY_MS,
      budgetMs: BUDGET_MS,
      restarts: 2,
      pools: POOLS,
    });
    results.push({ ...r, ours: e.ours, short: e.short });
    process.stderr.write(`peers: ${r.label}: done\n`);
  }
} finally {
  await cleanup();
}
const loadAfter = loadavg();

const failed = (l: LatencyLoadResult) => l.non2xx + l.socketErrors + l.wrongBody;
const fig = (r: EngineResult) => ({
  failedChanges: failed(r.churn),
  failedRestarts: failed(r.restart),
  p50: r.churn.p50Ms,
  p99: r.churn.p99Ms,
  max: r.churn.maxMs,
  rate: r.applied / r.changeSeconds,
  live50: percentile(r.ackToLiveMs, 50),
  live99: percentile(r.ackToLiveMs, 99),
});
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(0));
console.log(
  table(
    ['engine', 'changes', 'changes/s', 'ack->200 p50 ms', 'ack->200 p99 ms', 'failed: changes', 'failed: restarts', 'restart ack->200 ms', 'p50 ms', 'p99 ms', 'max ms', 'requests', 'reloads'],
    results.map((r) => {
      const f = fig(r);
      const applied = r.applied < CHANGES ? `${r.applied} (budget)` : String(r.applied);
      return [r.label, applied, f.rate.toFixed(1), ms(f.live50), ms(f.live99) + (r.notLive ? ` (${r.notLive} never)` : ''), failed(r.churn), failed(r.restart), r.restartToLiveMs.map(ms).join(', '), ms(f.p50), ms(f.p99), ms(f.max), r.churn.requests + r.restart.requests, r.reloads];
    }),
  ),
);
const cpu = cpus();
console.log(
  `load: wrk 1 thread, ${CONNECTIONS} keep-alive connections on the steady host, ${DELAY_MS} ms between requests on each; failed = non-2xx, socket errors or a 200 with another body; latency over the change phase; ` +
    `machine: ${cpu.length} x ${cpu[0]?.model.trim() ?? '?'}; load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}; ${new Date().toISOString().slice(0, 16)}Z`,
);

/** "ours vs best peer (who): ratio", ratio > 1 when ours is better. */
function versus(name: string, key: keyof ReturnType<typeof fig>, lowerIsBetter: boolean, unit: string, ours: Row, peers: Row[]): string {
  const o = fig(ours)[key];
  const best = peers.reduce((a, b) => ((fig(b)[key] < fig(a)[key]) === lowerIsBetter ? b : a));
  const p = fig(best)[key];
  const ratio = lowerIsBetter ? (o === 0 ? (p === 0 ? 'equal' : 'none for ours') : `${(p / o).toFixed(1)}x`) : `${(o / p).toFixed(1)}x`;
  const show = (n: number) => (key.startsWith('failed') ? String(n) : key === 'rate' ? n.toFixed(1) : ms(n));
  return `${name} ${show(o)} vs ${show(p)}${unit} (${best.short}) ${ratio}`;
}
const ours = results.find((r) => r.ours);
const peers = results.filter((r) => !r.ours);
if (!ours || peers.length === 0) {
  console.log('peers: need the operator and at least one peer for a comparison');
} else {
  const parts = [
    versus('failed during changes', 'failedChanges', true, '', ours, peers),
    versus('failed during restarts', 'failedRestarts', true, '', ours, peers),
    versus('p50', 'p50', true, ' ms', ours, peers),
    versus('p99', 'p99', true, ' ms', ours, peers),
    versus('max', 'max', true, ' ms', ours, peers),
    versus('changes/s', 'rate', false, '', ours, peers),
    versus('ack->200 p50', 'live50', true, ' ms', ours, peers),
    versus('ack->200 p99', 'live99', true, ' ms', ours, peers),
  ];
  console.log(`peers: ours (${ours.short}) vs the best peer per figure (ratio > 1: ours better): ${parts.join('; ')}`);
}
