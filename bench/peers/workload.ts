/**
 * @module The peer workload, the same for every engine: the steady host
 * under one wrk keep-alive run while the planned route changes of other
 * hosts are made one after the other (each added host awaited until it
 * answers, as a deploy script waits for its site); then the steady host's
 * single replica restarted twice (server removed, process stopped and
 * started, server added back) under a second wrk run.
 */
import { pollUntil } from '../../src/os/process-util.ts';
import { get } from '../../test/helpers/http.ts';
import { loadUntilStopped, onInterrupt, type LatencyLoadResult, type OpenLoad } from '../lib.ts';
import type { Engine, EngineFactory } from './engine.ts';
import { applyChange, type Change, type Model } from './model.ts';
import type { Replica } from './replica.ts';

export const STEADY = 'steady.peers.test';
/** Steady load before each phase, so wrk is connected before anything changes. */
const WARMUP_MS = 1000;
/** A host added but not answering by then counts as this (and is reported). */
const LIVE_DEADLINE_MS = 10_000;

export interface WorkloadOptions {
  plan: Change[];
  steady: Replica;
  /** Port of the backend a new server of another host gets, by slot. */
  otherPort: (slot: number) => number;
  otherBody: string;
  connections: number;
  /** wrk's pause between requests on each connection (a paced load), ms. */
  delayMs: number;
  /** The change phase stops after this long (the rest is reported as not applied). */
  budgetMs: number;
  restarts: number;
  /** Pools for engines that need them. */
  pools: number;
}

export interface EngineResult {
  label: string;
  applied: number;
  changeSeconds: number;
  /** Ack -> first 200 with the new host's body, per added host, ms. */
  ackToLiveMs: number[];
  notLive: number;
  churn: LatencyLoadResult;
  restart: LatencyLoadResult;
  /** Ack of the server's return -> first 200 from the steady host, per restart, ms. */
  restartToLiveMs: number[];
  reloads: number;
}

/** Time from now until `host` answers 200 with `body`, polled every ms; LIVE_DEADLINE_MS if never. */
async function timeToLive(port: number, host: string, body: string): Promise<{ ms: number; live: boolean }> {
  const from = performance.now();
  const live = await pollUntil(async () => {
    const r = await get(port, host).catch(() => undefined);
    return r?.status === 200 && r.body === body;
  }, LIVE_DEADLINE_MS, 1);
  return { ms: live ? performance.now() - from : LIVE_DEADLINE_MS, live };
}

async function warmUp(load: OpenLoad): Promise<void> {
  await load.running;
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
}

export async function runWorkload(factory: EngineFactory, o: WorkloadOptions): Promise<EngineResult> {
  const model: Model = new Map([[STEADY, { pool: 1, servers: new Map([[1, o.steady.port]]) }]]);
  const engine: Engine = await factory(model);
  const forget = onInterrupt(() => engine.stop());
  try {
    const url = `http://127.0.0.1:${engine.httpPort}/`;
    if (!(await timeToLive(engine.httpPort, STEADY, o.steady.body)).live) throw new Error(`${engine.label}: steady host not served`);
    const reloadsBefore = engine.reloads();
    const change = async (c: Change) => {
      applyChange(model, c, (slot) => (c.domain === STEADY ? o.steady.port : o.otherPort(slot)), o.pools);
      await engine.apply(c, model);
    };

    const paced = { delayMs: o.delayMs, expectBody: o.steady.body };
    let load = loadUntilStopped(url, STEADY, o.connections, Math.ceil(o.budgetMs / 1000) + 60, paced);
    const ackToLiveMs: number[] = [];
    let notLive = 0;
    let applied = 0;
    let churn: LatencyLoadResult;
    let changeSeconds = 0;
    try {
      await warmUp(load);
      const started = performance.now();
      for (const c of o.plan) {
        if (performance.now() - started > o.budgetMs) break;
        await change(c);
        applied += 1;
        if (c.kind === 'addDomain') {
          const t = await timeToLive(engine.httpPort, c.domain, o.otherBody);
          ackToLiveMs.push(t.ms);
          if (!t.live) notLive += 1;
        }
      }
      await engine.settle();
      changeSeconds = (performance.now() - started) / 1000;
    } finally {
      churn = await load.stop();
    }

    load = loadUntilStopped(url, STEADY, o.connections, 120, paced);
    const restartToLiveMs: number[] = [];
    let restart: LatencyLoadResult;
    try {
      await warmUp(load);
      for (let i = 0; i < o.restarts; i++) {
        await change({ kind: 'removeServer', domain: STEADY, slot: 1 });
        await o.steady.stop();
        await o.steady.start();
        await change({ kind: 'addServer', domain: STEADY, slot: 1 });
        restartToLiveMs.push((await timeToLive(engine.httpPort, STEADY, o.steady.body)).ms);
      }
      await engine.settle();
    } finally {
      restart = await load.stop();
    }
    return { label: engine.label, applied, changeSeconds, ackToLiveMs, notLive, churn, restart, restartToLiveMs, reloads: engine.reloads() - reloadsBefore };
  } finally {
    await engine.stop();
    forget();
  }
}
