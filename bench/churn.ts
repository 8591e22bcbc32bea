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
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../src/log.ts';
import { resolveSettings } from '../src/config/settings.ts';
import { startOperator } from '../src/operator.ts';
import { commands } from '../src/haproxy/commands.ts';
import { parseShowInfo } from '../src/haproxy/parsers/show-info.ts';
import { parseShowMap } from '../src/haproxy/parsers/show-map.ts';
import { pollUntil } from '../src/os/process-util.ts';
import { loadWhile, startHaproxy, table, type LoadResult } from './lib.ts';
import { freePort } from '../test/helpers/ports.ts';

const POOLS = Number(process.env.BENCH_CHURN_POOLS ?? 20);
const CHANGES = Number(process.env.BENCH_CHURN_CHANGES ?? 500);
const CONNECTIONS = Number(process.env.BENCH_CHURN_CONNECTIONS ?? 16);
const SEGMENT_S = 5;
/** The reload way takes ~0.1-1 s per change: stop there and say so. */
const RELOAD_BUDGET_MS = Number(process.env.BENCH_CHURN_RELOAD_BUDGET_S ?? 300) * 1000;
const STEADY = 'steady.churn.test';

type Change =
  | { kind: 'addDomain'; domain: string }
  | { kind: 'addServer'; domain: string; slot: number }
  | { kind: 'removeServer'; domain: string; slot: number }
  | { kind: 'removeDomain'; domain: string };

/** Groups of 10 domains: add each, add slot 2, add slot 3, remove slot 2, remove each (50 changes a group). */
function changes(count: number): Change[] {
  const out: Change[] = [];
  for (let g = 0; out.length < count; g++) {
    const names = Array.from({ length: 10 }, (_, i) => `g${g}-d${i}.churn.test`);
    for (const domain of names) out.push({ kind: 'addDomain', domain });
    for (const domain of names) out.push({ kind: 'addServer', domain, slot: 2 });
    for (const domain of names) out.push({ kind: 'addServer', domain, slot: 3 });
    for (const domain of names) out.push({ kind: 'removeServer', domain, slot: 2 });
    for (const domain of names) out.push({ kind: 'removeDomain', domain });
  }
  return out.slice(0, count);
}

async function backend(name: string): Promise<{ port: number; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

/** Status of GET / with this Host header (0 on a socket error); no keep-alive. fetch() cannot set Host. */
async function status(port: number, host: string): Promise<number> {
  return await new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/', headers: { host, connection: 'close' }, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end();
  });
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

/** A reload-based tool's desired state: host -> pool and http servers by slot. */
type Model = Map<string, { pool: number; servers: Map<number, number> }>;

function applyToModel(model: Model, c: Change, otherPort: number): void {
  if (c.kind === 'addDomain') {
    const used = new Set([...model.values()].map((d) => d.pool));
    let pool = 1;
    while (used.has(pool)) pool++;
    if (pool > POOLS) throw new Error(`no free pool for ${c.domain}`);
    model.set(c.domain, { pool, servers: new Map([[1, otherPort]]) });
  } else if (c.kind === 'addServer') model.get(c.domain)!.servers.set(c.slot, otherPort);
  else if (c.kind === 'removeServer') model.get(c.domain)!.servers.delete(c.slot);
  else model.delete(c.domain);
}

/** haproxy.cfg with the model's servers inline (enabled, at their address), as a reload-based tool renders it. */
function renderWithServers(base: string, model: Model): string {
  let cfg = base;
  for (const d of model.values()) {
    for (const [slot, port] of d.servers) {
      const re = new RegExp(`^(\\s+server pool_${d.pool}_${slot}) 127\\.0\\.0\\.1:1 disabled weight 1 .*$`, 'm');
      cfg = cfg.replace(re, `$1 127.0.0.1:${port} weight 1`);
    }
  }
  return cfg;
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/** One command on a fresh connection (never a persistent one: it would keep each old worker alive). */
async function oneShot(target: { host: string; port: number } | { path: string }, command: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const s = connect(target, () => s.end(`${command}\n`));
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d) => (out += d));
    s.on('error', reject);
    s.on('close', () => resolve(out));
  });
}

async function workerPid(runtimePort: number): Promise<number> {
  try {
    return parseShowInfo(await oneShot({ host: '127.0.0.1', port: runtimePort }, commands.showInfo())).pid;
  } catch {
    return 0;
  }
}

/** The reload way: per change, rewrite config + map, reload through the master socket, wait for the new worker. */
async function reloadBased(plan: Change[], steadyPort: number, otherPort: number): Promise<PhaseResult> {
  const h = await startHaproxy(POOLS);
  h.runtime.close();
  const cfgFile = join(h.dir, 'haproxy.cfg');
  const masterSocket = join(h.dir, 'run', 'master.sock');
  try {
    const base = await readFile(cfgFile, 'utf8');
    const model: Model = new Map([[STEADY, { pool: 1, servers: new Map([[1, steadyPort]]) }]]);
    const reload = async () => {
      await writeAtomic(cfgFile, renderWithServers(base, model));
      await writeAtomic(h.mapFile, [...model].map(([host, d]) => `${host} pool_${d.pool}\n`).join(''));
      const old = await workerPid(h.runtimePort);
      // The master re-executes itself on reload and refuses connections meanwhile.
      const sent = await pollUntil(() => oneShot({ path: masterSocket }, 'reload').then(() => true, () => false), 30000, 20);
      if (!sent) throw new Error('reload: master socket refused connections for 30 s');
      if (!(await pollUntil(async () => ((await workerPid(h.runtimePort)) || old) !== old, 30000, 10))) throw new Error('reload: no new worker within 30 s');
    };
    await reload();
    if (!(await pollUntil(async () => (await status(h.httpPort, STEADY)) === 200, 10000))) throw new Error('steady domain not served (reload)');
    let done = false;
    const load = loadWhile(() => done, `http://127.0.0.1:${h.httpPort}/`, STEADY, CONNECTIONS, SEGMENT_S);
    const started = performance.now();
    let applied = 0;
    try {
      for (const c of plan) {
        if (performance.now() - started > RELOAD_BUDGET_MS) break;
        applyToModel(model, c, otherPort);
        await reload();
        applied += 1;
      }
    } finally {
      done = true;
    }
    const changeMs = performance.now() - started;
    const note = applied < plan.length ? `stopped after ${applied} changes: time budget ${RELOAD_BUDGET_MS / 1000} s` : `${(changeMs / applied).toFixed(0)} ms per reload`;
    return { load: await load, applied, changeMs, note };
  } finally {
    await h.stop();
  }
}

const plan = changes(CHANGES);
const steady = await backend('steady');
const other = await backend('other');
let a: PhaseResult;
let b: PhaseResult;
try {
  a = await ours(plan, steady.port, other.port);
  b = await reloadBased(plan, steady.port, other.port);
} finally {
  steady.server.closeAllConnections();
  other.server.closeAllConnections();
  steady.server.close();
  other.server.close();
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
