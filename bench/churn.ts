/**
 * bench/churn: one steady domain served by a local node backend under a
 * bounded keep-alive load (wrk, fixed connections, fixed-length runs that
 * stop by themselves) while 500 route changes of OTHER domains happen, two
 * ways in the same run:
 *   1. the operator's: a real operator (managed HAProxy), every change
 *      through the operations layer (Runtime API, no reload);
 *   2. the reload-based tools' way: per change, rewrite haproxy.cfg (servers
 *      inline) and domains.map atomically, then reload HAProxy through the
 *      master socket and wait for the new worker.
 * Counts failed requests (non-2xx/3xx and socket errors) on the steady
 * domain in each. Goal: 0 for the operator's way.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/log.ts';
import { resolveSettings } from '../src/config/settings.ts';
import { startOperator } from '../src/operator.ts';
import { commands } from '../src/haproxy/commands.ts';
import { parseShowMap } from '../src/haproxy/parsers/show-map.ts';
import { pollUntil } from '../src/os/process-util.ts';
import { get, startBackend } from '../test/helpers/http.ts';
import { loadWhile, table, type LoadResult } from './lib.ts';
import { freePort } from '../test/helpers/ports.ts';
import { applyChange, changePlan, type Change, type Model } from './peers/model.ts';
import { startReloadHaproxy } from './peers/haproxy-reload.ts';

const POOLS = Number(process.env.BENCH_CHURN_POOLS ?? 20);
const CHANGES = Number(process.env.BENCH_CHURN_CHANGES ?? 500);
const CONNECTIONS = Number(process.env.BENCH_CHURN_CONNECTIONS ?? 16);
const SEGMENT_S = 5;
/** The reload way takes ~0.1-1 s per change: stop there and say so. */
const RELOAD_BUDGET_MS = Number(process.env.BENCH_CHURN_RELOAD_BUDGET_S ?? 300) * 1000;
const STEADY = 'steady.churn.test';

/** Status of GET / with this Host header, 0 on a socket error. */
async function status(port: number, host: string): Promise<number> {
  return await get(port, host).then((r) => r.status, () => 0);
}

interface PhaseResult {
  load: LoadResult & { segments: number };
  applied: number;
  changeMs: number;
  note: string;
}

/** The operator's way: every change through the operations layer of a real operator. */
async function ours(plan: Change[], steadyPort: number, otherPort: number): Promise<PhaseResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'hop-churn-'));
  const [httpPort, httpsPort, runtimePort, listenPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const settings = resolveSettings(
    { stateDir, bindAddress: '127.0.0.1', httpPort: String(httpPort), httpsPort: String(httpsPort), runtimeApi: `127.0.0.1:${runtimePort}`, listen: `127.0.0.1:${listenPort}`, pools: String(POOLS), slots: '10' },
    {},
  );
  const operator = await startOperator(settings, createLogger({ level: 'silent', pretty: false }));
  try {
    const { ops } = operator;
    await ops.addDomain({ domain: STEADY, ip: '127.0.0.1', port: steadyPort });
    if (!(await pollUntil(async () => (await status(httpPort, STEADY)) === 200, 10000))) throw new Error('steady domain not served (operator)');
    let done = false;
    const load = loadWhile(() => done, `http://127.0.0.1:${httpPort}/`, STEADY, CONNECTIONS, SEGMENT_S);
    const started = performance.now();
    let applied = 0;
    try {
      for (const c of plan) {
        if (c.kind === 'addDomain') await ops.addDomain({ domain: c.domain, ip: '127.0.0.1', port: otherPort });
        else if (c.kind === 'addServer') await ops.addServer({ domain: c.domain, slot: c.slot, ip: '127.0.0.1', port: otherPort });
        else if (c.kind === 'removeServer') await ops.removeServer({ domain: c.domain, slot: c.slot });
        else await ops.removeDomain({ domain: c.domain });
        applied += 1;
      }
    } finally {
      done = true;
    }
    const changeMs = performance.now() - started;
    const result = await load;
    const [map] = await operator.runtime.execute([commands.showMap(join(settings.confDir, 'domains.map'))]);
    const live = parseShowMap(map ?? '').map((e) => e.key);
    return { load: result, applied, changeMs, note: `live map after: ${live.length} entr${live.length === 1 ? 'y' : 'ies'} (${live.join(', ')})` };
  } finally {
    await operator.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The reload way: per change, rewrite config + map, reload through the master socket, wait for the new worker. */
async function reloadBased(plan: Change[], steadyPort: number, otherPort: number): Promise<PhaseResult> {
  const model: Model = new Map([[STEADY, { pool: 1, servers: new Map([[1, steadyPort]]) }]]);
  const engine = await startReloadHaproxy(POOLS, model);
  try {
    if (!(await pollUntil(async () => (await status(engine.httpPort, STEADY)) === 200, 10000))) throw new Error('steady domain not served (reload)');
    let done = false;
    const load = loadWhile(() => done, `http://127.0.0.1:${engine.httpPort}/`, STEADY, CONNECTIONS, SEGMENT_S);
    const started = performance.now();
    let applied = 0;
    try {
      for (const c of plan) {
        if (performance.now() - started > RELOAD_BUDGET_MS) break;
        applyChange(model, c, () => otherPort, POOLS);
        await engine.apply(c, model);
        applied += 1;
      }
    } finally {
      done = true;
    }
    const changeMs = performance.now() - started;
    const note = applied < plan.length ? `stopped after ${applied} changes: time budget ${RELOAD_BUDGET_MS / 1000} s` : `${(changeMs / applied).toFixed(0)} ms per reload`;
    return { load: await load, applied, changeMs, note };
  } finally {
    await engine.stop();
  }
}

const plan = changePlan(CHANGES);
const steady = await startBackend('steady');
const other = await startBackend('other');
let a: PhaseResult;
let b: PhaseResult;
try {
  a = await ours(plan, steady.port, other.port);
  b = await reloadBased(plan, steady.port, other.port);
} finally {
  await steady.close();
  await other.close();
}
const failed = (r: PhaseResult) => r.load.non2xx + r.load.socketErrors;
console.log(
  table(
    ['method', 'changes', 'change time s', 'requests', 'non-2xx', 'socket errors', 'failed', 'load s', 'note'],
    [
      ['operator: Runtime API, no reload', a.applied, (a.changeMs / 1000).toFixed(2), a.load.requests, a.load.non2xx, a.load.socketErrors, failed(a), a.load.seconds.toFixed(0), a.note],
      ['reload-based: rewrite cfg+map, reload per change', b.applied, (b.changeMs / 1000).toFixed(2), b.load.requests, b.load.non2xx, b.load.socketErrors, failed(b), b.load.seconds.toFixed(0), b.note],
    ],
  ),
);
console.log(`load: ${a.load.tool}, ${CONNECTIONS} keep-alive connections, ${SEGMENT_S} s runs; HAProxy ${POOLS} pools x 10 slots x 3 families`);
const ok = failed(a) === 0 && a.applied === plan.length;
console.log(
  `churn: ${a.applied} route changes of other domains: ${failed(a)} failed of ${a.load.requests} requests with the operator (goal 0) vs ${failed(b)} failed of ${b.load.requests} with reload per change (${b.applied} changes): ${ok ? 'goal met' : 'GOAL MISSED'}`,
);
