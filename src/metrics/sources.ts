/**
 * @module Metrics read from other modules at scrape time: the runtime
 * client's command counter, the supervisor's restarts and PIDs, the
 * container watcher's counters and the certificate manager's list. Each
 * group is registered only once its source is attached, so a scrape never
 * shows a zero for something that is not running (no watcher: no container
 * metrics, rather than "0 watched").
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';

/** The runtime client's total of commands sent (src/haproxy/runtime-client.ts). */
export interface RuntimeCounterSource {
  readonly sent: number;
}

/** The supervisor of a managed HAProxy (src/haproxy/supervisor.ts). */
export interface HaproxyProcessSource {
  readonly restarts: number;
  workerPid(): number;
  masterPid?(): number;
}

/** The container watcher's counters (WatcherStats in src/podman/report.ts). */
export interface ContainerStatsSource {
  stats(): {
    watched: number;
    /** Skipped for bad labels or no usable address: quarantined. */
    invalid: number;
    connected?: boolean;
    reconnects?: number;
    /** Container events of the API stream (each one, whether handled or recognised as told by the events log). */
    events?: number;
    /** Of those, the ones Podman's events log told first. */
    early?: number;
    syncErrors?: number;
    /** ms since epoch of the last successful sync. */
    lastSyncAt?: number;
  };
}

/** One certificate as the inventory lists it (CertStatus in src/acme/manager.ts). */
export interface CertRow {
  name: string;
  notAfter?: string | Date;
  lastError?: string;
  /** Consecutive failed orders; the manager resets it to 0 on success. */
  failures?: number;
  /** Every failed order, counted by the manager itself (never reset). */
  failuresTotal?: number;
  /** acme:<issuer> (who asked), file, fallback. */
  source?: string;
  /** False for PEMs nobody orders (imported, dropped in, the fallback): no failure series. */
  managed?: boolean;
}

/** The `source` label: the kind and issuer, without who asked (acme:default, file, fallback). */
function sourceLabel(c: CertRow): string {
  return (c.source ?? 'acme').replace(/\s*\(.*\)$/, '');
}

export interface CertListSource {
  list(): Promise<CertRow[]>;
}

const P = 'haproxy_operator_';

/** Sets a counter to an absolute value read from a source that only grows. */
function setCounter(counter: Counter, value: number): void {
  counter.reset();
  if (value > 0) counter.inc(value);
}

export function registerRuntimeMetrics(registry: Registry, source: () => RuntimeCounterSource | undefined): void {
  new Counter({
    name: `${P}runtime_commands_sent_total`,
    help: 'Runtime API commands sent to HAProxy by this operator',
    registers: [registry],
    collect() {
      setCounter(this, source()?.sent ?? 0);
    },
  });
}

export function registerHaproxyProcessMetrics(registry: Registry, source: () => HaproxyProcessSource | undefined): void {
  new Counter({
    name: `${P}haproxy_restarts_total`,
    help: 'Times the supervisor restarted a managed HAProxy that exited',
    registers: [registry],
    collect() {
      setCounter(this, source()?.restarts ?? 0);
    },
  });
  new Gauge({
    name: `${P}haproxy_worker_pid`,
    help: 'PID of the current HAProxy worker (0 while none answers); a change means runtime state was restored',
    registers: [registry],
    collect() {
      this.set(source()?.workerPid() ?? 0);
    },
  });
  new Gauge({
    name: `${P}haproxy_master_pid`,
    help: 'PID of the managed HAProxy master process (0 while none runs)',
    registers: [registry],
    collect() {
      this.set(source()?.masterPid?.() ?? 0);
    },
  });
}

export function registerContainerMetrics(registry: Registry, source: () => ContainerStatsSource | undefined): void {
  // The four metrics read one stats() call per scrape: the registry collects them concurrently.
  let cached: ReturnType<ContainerStatsSource['stats']> | undefined;
  const read = () => {
    if (!cached) {
      cached = source()?.stats();
      queueMicrotask(() => (cached = undefined));
    }
    return cached;
  };
  new Gauge({
    name: `${P}containers_watched`,
    help: 'Containers with haproxy.* labels that the watcher knows',
    registers: [registry],
    collect() {
      this.set(read()?.watched ?? 0);
    },
  });
  new Gauge({
    name: `${P}containers_quarantined`,
    help: 'Labelled containers skipped for bad labels or no usable address',
    registers: [registry],
    collect() {
      this.set(read()?.invalid ?? 0);
    },
  });
  new Gauge({
    name: `${P}containers_last_sync_timestamp_seconds`,
    help: 'Unix time of the last successful container sync (0: none yet); alert when it stops moving',
    registers: [registry],
    collect() {
      const at = read()?.lastSyncAt;
      this.set(at === undefined ? 0 : at / 1000);
    },
  });
  new Gauge({
    name: `${P}podman_connected`,
    help: '1 while the Podman event stream is connected',
    registers: [registry],
    collect() {
      this.set(read()?.connected ? 1 : 0);
    },
  });
  new Counter({
    name: `${P}podman_reconnects_total`,
    help: 'Reconnections to the Podman API event stream',
    registers: [registry],
    collect() {
      setCounter(this, read()?.reconnects ?? 0);
    },
  });
  new Counter({
    name: `${P}podman_events_total`,
    help: "Container events from Podman's API stream",
    registers: [registry],
    collect() {
      setCounter(this, read()?.events ?? 0);
    },
  });
  new Counter({
    name: `${P}podman_events_early_total`,
    help: "Of podman_events_total, those Podman's events log told first (acted on up to 250 ms sooner); stays 0 when the log is not followed",
    registers: [registry],
    collect() {
      setCounter(this, read()?.early ?? 0);
    },
  });
  new Counter({
    name: `${P}containers_sync_errors_total`,
    help: 'Container syncs that failed',
    registers: [registry],
    collect() {
      setCounter(this, read()?.syncErrors ?? 0);
    },
  });
}

function expirySeconds(notAfter: string | Date | undefined): number | undefined {
  if (notAfter === undefined) return undefined;
  const ms = notAfter instanceof Date ? notAfter.getTime() : Date.parse(notAfter);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

/**
 * Certificate metrics, modelled on cert-manager's: an expiry timestamp for
 * every served certificate (managed or not), failure series for every
 * managed one. The failure counter is the manager's own count (failuresTotal);
 * for a source without one it adds the increases of the consecutive failures
 * seen between scrapes.
 */
export function registerCertMetrics(registry: Registry, source: () => CertListSource | undefined, logger?: Logger): void {
  let pending: Promise<CertRow[]> | undefined;
  const rows = (): Promise<CertRow[]> => {
    if (!pending) {
      const src = source();
      pending = (src ? src.list() : Promise.resolve([])).catch((err: unknown) => {
        listErrors.inc();
        logger?.warn({ err }, 'metrics: listing certificates failed');
        return [];
      });
      // One list() per scrape: the registry starts every collect in the same
      // synchronous pass, so the promise is shared until the next microtask.
      queueMicrotask(() => (pending = undefined));
    }
    return pending;
  };
  const listErrors = new Counter({
    name: `${P}certificate_list_errors_total`,
    help: 'Scrapes where the certificate list could not be read',
    registers: [registry],
    async collect() {
      // Wait for this scrape's list, so its failure shows in this scrape.
      await rows();
    },
  });
  const managed = async () => (await rows()).filter((c) => c.managed !== false);
  new Gauge({
    name: `${P}certificate_expiry_timestamp_seconds`,
    help: 'Unix time at which each served or managed certificate expires (notAfter); source: acme:<issuer>, file or fallback',
    labelNames: ['name', 'source'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await rows()) {
        const at = expirySeconds(c.notAfter);
        if (at !== undefined) this.set({ name: c.name, source: sourceLabel(c) }, at);
      }
    },
  });
  new Gauge({
    name: `${P}certificate_consecutive_failures`,
    help: 'Failed orders of each managed certificate since its last success',
    labelNames: ['name', 'source'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await managed()) this.set({ name: c.name, source: sourceLabel(c) }, c.failures ?? 0);
    },
  });
  new Gauge({
    name: `${P}certificate_failing`,
    help: '1 when the last issue, renewal or hot-load of the certificate failed',
    labelNames: ['name', 'source'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await rows()) this.set({ name: c.name, source: sourceLabel(c) }, c.lastError ? 1 : 0);
    },
  });
  // Per certificate: the manager's own count when it gives one, else the increases seen between scrapes.
  const totals = new Map<string, { source: string; total: number; consecutive: number }>();
  new Counter({
    name: `${P}certificate_renewal_failures_total`,
    help: 'Failed orders (issue or renewal) of each managed certificate, as counted by the certificate manager',
    labelNames: ['name', 'source'],
    registers: [registry],
    async collect() {
      const list = await managed();
      const keys = new Set<string>();
      for (const c of list) {
        const key = `${c.name}\u0000${sourceLabel(c)}`;
        keys.add(key);
        const was = totals.get(key) ?? { source: sourceLabel(c), total: 0, consecutive: 0 };
        const consecutive = c.failures ?? 0;
        const total = c.failuresTotal ?? was.total + Math.max(0, consecutive - was.consecutive);
        totals.set(key, { source: was.source, total, consecutive });
      }
      for (const key of [...totals.keys()]) if (!keys.has(key)) totals.delete(key);
      this.reset();
      for (const [key, t] of totals) this.inc({ name: key.split('\u0000')[0]!, source: t.source }, t.total);
    },
  });
}
