/**
 * @module Prometheus metrics of one operator: its own registry (never
 * prom-client's global one, so two operators in one process, as in tests,
 * do not share series), a reconcile hook for the operations layer, gauges
 * computed from the desired state at scrape time, and a GET /metrics handler
 * in the Prometheus text format. Sources created after the metrics (the
 * container watcher, the certificate manager) are attached when they exist.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Capacity, DesiredState } from '../model/state.ts';
import { capacityUsage, FAMILIES } from './usage.ts';
import {
  registerCertMetrics,
  registerContainerMetrics,
  registerHaproxyProcessMetrics,
  registerRuntimeMetrics,
  type CertListSource,
  type ContainerStatsSource,
  type HaproxyProcessSource,
  type RuntimeCounterSource,
} from './sources.ts';

export type { CertListSource, CertRow, ContainerStatsSource, HaproxyProcessSource, RuntimeCounterSource } from './sources.ts';

/** What the reconcile runner reports after each pass (RunnerDeps.onPass). */
export interface ReconcileInfo {
  durationMs: number;
  commands: number;
  error?: Error;
}

/** Where scrape-time values come from; any may be attached later with `attach`. */
export interface MetricsSources {
  /** The operations layer (its snapshot() is the desired state). */
  state?: { snapshot(): DesiredState };
  runtime?: RuntimeCounterSource;
  supervisor?: HaproxyProcessSource;
  containers?: ContainerStatsSource;
  certs?: CertListSource;
}

export interface MetricsDeps extends MetricsSources {
  /** Pools and slots of the rendered configuration. */
  capacity: Capacity;
  logger?: Logger;
  /** Clock for the last-successful-reconcile timestamp, ms since epoch. */
  now?: () => number;
  /** Node process metrics (RSS, CPU, event loop lag) under the same prefix; default true. */
  processMetrics?: boolean;
}

export interface Metrics {
  readonly registry: Registry;
  /** GET/HEAD /metrics: the registry in Prometheus text format; other methods get 405. */
  handler(req: IncomingMessage, res: ServerResponse): Promise<void>;
  hooks: {
    /** Pass as the runner's onPass. Never throws. */
    onReconcile(info: ReconcileInfo): void;
  };
  /** Adds sources that exist only after the metrics were created. */
  attach(sources: MetricsSources): void;
  /** The exposition text, as /metrics serves it. */
  render(): Promise<string>;
}

const P = 'haproxy_operator_';

/** Reconciles are one batch on a persistent connection: ~1 ms to ~1 s. */
const RECONCILE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Creates the registry and every metric; nothing is read until a scrape. */
export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  const now = deps.now ?? Date.now;
  const sources: MetricsSources = {};
  const registered = new Set<keyof MetricsSources>();

  if (deps.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: P });

  const duration = new Histogram({
    name: `${P}reconcile_duration_seconds`,
    help: 'Time to apply one reconcile to HAProxy (runtime commands, one batch), failed ones included',
    buckets: RECONCILE_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: `${P}reconcile_errors_total`,
    help: 'Reconciles whose runtime commands failed',
    registers: [registry],
  });
  const applied = new Counter({
    name: `${P}reconcile_commands_total`,
    help: 'Runtime commands planned and sent by reconciles',
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: `${P}last_successful_reconcile_timestamp_seconds`,
    help: 'Unix time of the last reconcile that applied without error (0: none yet)',
    registers: [registry],
  });

  const usageOf = () => (sources.state ? capacityUsage(sources.state.snapshot(), deps.capacity) : undefined);
  function registerStateMetrics(): void {
    // The four gauges share one snapshot per scrape: they are collected concurrently.
    let cached: ReturnType<typeof usageOf>;
    const read = () => {
      if (!cached) {
        cached = usageOf();
        queueMicrotask(() => (cached = undefined));
      }
      return cached;
    };
    new Gauge({
      name: `${P}pools_used`,
      help: 'Pools held by a domain',
      registers: [registry],
      collect() {
        this.set(read()?.pools.used ?? 0);
      },
    });
    new Gauge({
      name: `${P}pools_free`,
      help: 'Pools no domain holds',
      registers: [registry],
      collect() {
        this.set(read()?.pools.free ?? deps.capacity.pools);
      },
    });
    new Gauge({
      name: `${P}slots_used`,
      help: 'Server slots holding a server, per family (http, ssl, h3)',
      labelNames: ['family'],
      registers: [registry],
      collect() {
        const u = read();
        for (const f of FAMILIES) this.set({ family: f }, u?.slots[f].used ?? 0);
      },
    });
    new Gauge({
      name: `${P}slots_free`,
      help: 'Empty server slots, per family (http, ssl, h3)',
      labelNames: ['family'],
      registers: [registry],
      collect() {
        const u = read();
        for (const f of FAMILIES) this.set({ family: f }, u?.slots[f].free ?? deps.capacity.pools * deps.capacity.slots);
      },
    });
  }

  function attach(more: MetricsSources): void {
    for (const key of Object.keys(more) as Array<keyof MetricsSources>) {
      if (more[key] === undefined) continue;
      Object.assign(sources, { [key]: more[key] });
      if (registered.has(key)) continue;
      registered.add(key);
      if (key === 'state') registerStateMetrics();
      else if (key === 'runtime') registerRuntimeMetrics(registry, () => sources.runtime);
      else if (key === 'supervisor') registerHaproxyProcessMetrics(registry, () => sources.supervisor);
      else if (key === 'containers') registerContainerMetrics(registry, () => sources.containers);
      else registerCertMetrics(registry, () => sources.certs, deps.logger);
    }
  }
  attach({ state: deps.state, runtime: deps.runtime, supervisor: deps.supervisor, containers: deps.containers, certs: deps.certs });

  const render = () => registry.metrics();

  return {
    registry,
    render,
    attach,
    hooks: {
      onReconcile(info) {
        // Called inside the operations queue: a metrics bug must not fail a reconcile.
        try {
          duration.observe(Math.max(0, info.durationMs) / 1000);
          applied.inc(Math.max(0, info.commands));
          if (info.error) errors.inc();
          else lastSuccess.set(now() / 1000);
        } catch (err) {
          deps.logger?.warn({ err }, 'metrics: recording a reconcile failed');
        }
      },
    },
    async handler(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
        res.end('method not allowed\n');
        return;
      }
      const body = await render();
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}
