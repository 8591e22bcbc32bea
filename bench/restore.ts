/**
 * bench/restore: restores 1000 servers into a fresh HAProxy the operator's
 * way (observe, plan, one pipelined batch on a persistent connection) and
 * the original's way (one new connection per command), in the same run, on
 * two fresh HAProxy processes. Prints both times and the ratio, for each
 * HAProxy version (2.6 and 3.0).
 * Goal: ours <= 300 ms and >= 10x faster.
 */
import { connect } from 'node:net';
import { plan } from '../src/reconcile/plan.ts';
import { actionToCommand, createHaproxyAdapter } from '../src/haproxy/adapter.ts';
import { commands } from '../src/haproxy/commands.ts';
import { parseServersState } from '../src/haproxy/parsers/servers-state.ts';
import type { DesiredState } from '../src/model/state.ts';
import { eachHaproxy, startHaproxy, table, type BenchHaproxy, type HaproxyVersion } from './lib.ts';

const SERVERS = Number(process.env.BENCH_SERVERS ?? 1000);
const POOLS = 100;

function desired(): DesiredState {
  const state: DesiredState = { version: 1, domains: {} };
  const perPool = Math.ceil(SERVERS / POOLS);
  let made = 0;
  for (let pool = 1; pool <= POOLS && made < SERVERS; pool++) {
    const servers = [];
    for (let slot = 1; slot <= Math.min(10, perPool) && made < SERVERS; slot++, made++) {
      servers.push({ family: 'http' as const, slot, address: `10.${pool}.0.${slot}`, port: 8000 + slot, weight: 1, state: 'ready' as const, source: 'manual' as const });
    }
    state.domains[`site${pool}.bench.test`] = { pool, source: 'manual', servers };
  }
  return state;
}

async function ours(h: BenchHaproxy, state: DesiredState): Promise<{ ms: number; commands: number }> {
  const files = { mapFile: h.mapFile, checksMapFile: h.checksMapFile };
  const started = performance.now();
  const actions = plan(state, await createHaproxyAdapter({ runtime: h.runtime, files }).observe({}));
  const cmds = actions.map((a) => actionToCommand(a, files));
  await h.runtime.apply(cmds);
  return { ms: performance.now() - started, commands: cmds.length };
}

/** The original: `echo "<command>" | nc localhost 9999` per command. */
async function onePerConnection(h: BenchHaproxy, cmds: string[]): Promise<number> {
  const started = performance.now();
  for (const command of cmds) {
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: h.runtimePort }, () => s.end(command + '\n'));
      s.on('data', () => undefined);
      s.on('error', reject);
      s.on('close', () => resolve());
    });
  }
  return performance.now() - started;
}

async function liveServers(h: BenchHaproxy): Promise<number> {
  const [reply] = await h.runtime.execute([commands.showServersState()]);
  return parseServersState(reply ?? '').filter((r) => r.port !== 1 && r.adminState !== 5).length;
}

async function run(haproxy: HaproxyVersion): Promise<string> {
  const state = desired();
  const a = await startHaproxy(POOLS, 10, { bin: haproxy.bin });
  let oursResult: { ms: number; commands: number };
  let oursLive: number;
  let cmds: string[];
  try {
    const files = { mapFile: a.mapFile, checksMapFile: a.checksMapFile };
    cmds = plan(state, await createHaproxyAdapter({ runtime: a.runtime, files }).observe({})).map((x) => actionToCommand(x, files));
    oursResult = await ours(a, state);
    oursLive = await liveServers(a);
  } finally {
    await a.stop();
  }
  const b = await startHaproxy(POOLS, 10, { bin: haproxy.bin });
  let baseMs: number;
  let baseLive: number;
  try {
    baseMs = await onePerConnection(b, cmds);
    baseLive = await liveServers(b);
  } finally {
    await b.stop();
  }
  const ratio = baseMs / oursResult.ms;
  console.log(
    table(
      ['method', 'servers', 'commands', 'time ms', 'servers live after'],
      [
        ['operator: pipelined, one connection', SERVERS, oursResult.commands, oursResult.ms.toFixed(1), oursLive],
        ['original: one connection per command', SERVERS, cmds.length, baseMs.toFixed(1), baseLive],
      ],
    ),
  );
  const ok = oursResult.ms <= 300 && ratio >= 10 && oursLive === SERVERS && baseLive === SERVERS;
  return `${SERVERS} servers in ${oursResult.ms.toFixed(1)} ms (goal <= 300), ${ratio.toFixed(1)}x faster than one connection per command (goal >= 10x): ${ok ? 'goal met' : 'GOAL MISSED'}`;
}

await eachHaproxy('restore', run);
