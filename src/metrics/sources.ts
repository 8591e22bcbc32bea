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
    syncErrors?: number;
    /** ms since epoch of the last successful sync. */
    lastSyncAt?: number;
  };
}

/** One certificate as the ACME manager lists it (CertStatus in src/acme/manager.ts). */
export interface CertRow {
  name: string;
  notAfter?: string | Date;
  lastError?: string;
  /** Consecutive failed orders; the manager resets it to 0 on success. */
  failures?: number;
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
 * Certificate metrics. The manager keeps consecutive failures (reset on
 * success), so the failures counter adds each increase it sees between
 * scrapes; a failure followed by a success within one scrape interval is
 * missed, the consecutive-failures gauge and the expiry still tell.
 */
export function registerCertMetrics(registry: Registry, source: () => CertListSource | undefined, logger?: Logger): void {
  const seen = new Map<string, number>();
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
  new Gauge({
    name: `${P}certificate_expiry_timestamp_seconds`,
    help: 'Unix time at which each certificate expires (notAfter)',
    labelNames: ['name'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await rows()) {
        const at = expirySeconds(c.notAfter);
        if (at !== undefined) this.set({ name: c.name }, at);
      }
    },
  });
  new Gauge({
    name: `${P}certificate_consecutive_failures`,
    help: 'Failed orders of each certificate since its last success',
    labelNames: ['name'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await rows()) this.set({ name: c.name }, c.failures ?? 0);
    },
  });
  new Gauge({
    name: `${P}certificate_failing`,
    help: '1 when the last issue, renewal or hot-load of the certificate failed',
    labelNames: ['name'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await rows()) this.set({ name: c.name }, c.lastError ? 1 : 0);
    },
  });
  new Counter({
    name: `${P}certificate_renewal_failures_total`,
    help: 'Failed certificate orders (issue or renewal) seen by this operator',
    labelNames: ['name'],
    registers: [registry],
    async collect() {
      const list = await rows();
      const names = new Set(list.map((c) => c.name));
      for (const c of list) {
        const now = c.failures ?? 0;
        const before = seen.get(c.name) ?? 0;
        if (now > before) this.inc({ name: c.name }, now - before);
        else if (!seen.has(c.name)) this.inc({ name: c.name }, 0);
        seen.set(c.name, now);
      }
      for (const name of [...seen.keys()]) {
        if (names.has(name)) continue;
        seen.delete(name);
        this.remove({ name });
      }
    },
  });
}
