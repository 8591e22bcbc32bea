/**
 * @module The container watcher: keeps `ops.syncSource('container', …)` equal
 * to what the labelled containers ask for. Level-triggered: events only mark
 * container ids dirty, inspect is the truth, and every sync sends the full
 * desired set, so a missed event, a Podman service restart or an operator
 * restart all converge on the next list (traefik#13549, podman#21685).
 */
import Dockerode from 'dockerode';
import type { Logger } from 'pino';
import type { Operations, SourceServer } from '../operations/types.ts';
import { viewContainer, type ContainerView } from './container-view.ts';
import type { ContainerInspectLike } from './address.ts';
import { subscribeEvents, type ContainerEvent, type EventSubscription } from './event-stream.ts';
import { hasOwnLabels, matchesSelector, parseSelector } from './selection.ts';
import { buildReport, type ContainerReport, type WatcherStats } from './report.ts';
import { drainFinished } from './drain.ts';
import { desiredServers, type DrainEntry } from './desired-set.ts';

/** The part of Operations the watcher calls. */
export type WatcherOperations = Pick<Operations, 'syncSource' | 'health' | 'getDomain'>;

export interface WatcherDeps {
  logger: Logger;
  ops: WatcherOperations;
  socketPath: string;
  /** Only containers carrying this `key=value` label are considered (tests; several operators on one host). */
  labelSelector?: string;
  /** Full list this often, besides every (re)connect (default 30000 ms). */
  resyncIntervalMs?: number;
  /** Events are gathered this long before one inspect+sync (default 5 ms). */
  debounceMs?: number;
  /** A stopping container's servers stay in drain at most this long (default 10000 ms). */
  drainTimeoutMs?: number;
  drainPollMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
  /** Called for every watched container event as it arrives (latency measurements, metrics). */
  onEvent?: (event: ContainerEvent) => void;
  /** Called after each successful sync (latency measurements, tests). */
  onSynced?: (info: { at: number; servers: SourceServer[]; trigger?: ContainerEvent }) => void;
}

export interface ContainerWatcher {
  /** Connects (or schedules reconnects) and resolves after the first attempt. */
  start(): Promise<void>;
  /** Stops the stream and timers; leaves the servers as they are. */
  stop(): Promise<void>;
  /** Every container with haproxy.* labels the watcher knows, in name order. */
  listContainers(): ContainerReport[];
  /** One container by full id, id prefix (3+ chars) or name; inspects live, so unlabelled ones explain too. */
  explainContainer(idOrName: string): Promise<ContainerReport | undefined>;
  stats(): WatcherStats;
  /** Requests a full list now and resolves when it was synced. */
  resync(): Promise<void>;
  /** Retries now instead of after the backoff (the API service was just replaced); connecting lists everything. */
  reconnect(): void;
}

interface Tracked {
  view: ContainerView;
  /** A stop/kill event was seen while running: drain now, before `died`. */
  stoppingSince?: number;
  errorsKey?: string;
  rejectedKey?: string;
  rejected: Array<{ domain: string; reason: string }>;
}

const STOPPING_GIVE_UP_MS = 120_000;
const HEALTH_RECHECK_MS = [250, 1000];

/** Creates the watcher; nothing happens until start(). */
export function createContainerWatcher(deps: WatcherDeps): ContainerWatcher {
  const log = deps.logger;
  const now = deps.now ?? Date.now;
  const selector = parseSelector(deps.labelSelector);
  const resyncMs = deps.resyncIntervalMs ?? 30_000;
  const debounceMs = deps.debounceMs ?? 5;
  const drainTimeoutMs = deps.drainTimeoutMs ?? 10_000;
  const drainPollMs = deps.drainPollMs ?? 200;
  const initialBackoff = deps.initialBackoffMs ?? 200;
  const maxBackoff = deps.maxBackoffMs ?? 30_000;
  const docker = new Dockerode({ socketPath: deps.socketPath });

  const containers = new Map<string, Tracked>();
  const drains = new Map<string, DrainEntry>();
  let sent = new Map<string, SourceServer[]>();
  const dirty = new Set<string>();
  let fullPending = false;
  let firstListDone = false;
  let stopped = true;
  let connected = false;
  let outageReported = false;
  let subscription: EventSubscription | undefined;
  let lastEventTime: number | undefined;
  let backoff = initialBackoff;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let debounceTimer: NodeJS.Timeout | undefined;
  let resyncTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let trigger: ContainerEvent | undefined;
  const waiters: Array<() => void> = [];
  const recheckTimers = new Set<NodeJS.Timeout>();
  const counters = { reconnects: 0, events: 0, syncs: 0, syncErrors: 0, lastSyncAt: undefined as number | undefined, lastSyncError: undefined as string | undefined };

  const selected = (labels: Record<string, string> | null | undefined) => matchesSelector(selector, labels);

  function kick(delayMs = debounceMs): void {
    if (stopped || debounceTimer) return;
    debounceTimer = setTimeout(() => {
      debounceTimer = undefined;
      void runLoop();
    }, delayMs);
  }

  function onEvent(event: ContainerEvent): void {
    counters.events += 1;
    deps.onEvent?.(event);
    lastEventTime = Math.max(lastEventTime ?? 0, event.time);
    const tracked = containers.get(event.id);
    if (!tracked && !hasOwnLabels(event.attributes)) return;
    if (!tracked && !selected(event.attributes)) return;
    if (tracked && (event.action === 'stop' || event.action === 'kill') && tracked.view.running) tracked.stoppingSince ??= now();
    if (tracked && ['start', 'restart', 'unpause'].includes(event.action)) delete tracked.stoppingSince;
    dirty.add(event.id);
    trigger ??= event;
    kick();
    // Podman sends health_status before it stores the new status (podman#24003): look again shortly after.
    if (event.action === 'health_status') {
      for (const delayMs of HEALTH_RECHECK_MS) {
        const timer = setTimeout(() => {
          recheckTimers.delete(timer);
          dirty.add(event.id);
          kick();
        }, delayMs);
        recheckTimers.add(timer);
      }
    }
  }

  async function inspect(id: string): Promise<ContainerInspectLike | undefined> {
    try {
      return (await docker.getContainer(id).inspect()) as unknown as ContainerInspectLike;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  function track(id: string, data: ContainerInspectLike | undefined): void {
    if (!data || !selected(data.Config?.Labels) || !hasOwnLabels(data.Config?.Labels)) {
      containers.delete(id);
      return;
    }
    const view = viewContainer(data);
    const tracked = containers.get(id) ?? { view, rejected: [] };
    tracked.view = view;
    // A stop/kill that did not stop it (a signal it handles) must not keep it out for good.
    if (!view.running || (tracked.stoppingSince !== undefined && now() - tracked.stoppingSince > STOPPING_GIVE_UP_MS)) delete tracked.stoppingSince;
    containers.set(id, tracked);
    const key = JSON.stringify(view.errors);
    if (key !== tracked.errorsKey) {
      tracked.errorsKey = key;
      for (const message of view.errors) log.warn({ container: view.name, id }, message);
    }
  }

  /** Inspects dirty containers (all labelled ones after a full list); true when it listed. */
  async function refresh(): Promise<boolean> {
    const ids = new Set(dirty);
    dirty.clear();
    const full = fullPending;
    if (full) {
      fullPending = false;
      const filters = selector ? { label: [`${selector.key}=${selector.value}`] } : undefined;
      const list = await docker.listContainers({ all: true, ...(filters ? { filters } : {}) });
      const present = new Set(list.map((c) => c.Id));
      for (const id of containers.keys()) if (!present.has(id)) containers.delete(id);
      for (const c of list) if (hasOwnLabels(c.Labels) || containers.has(c.Id)) ids.add(c.Id);
    }
    const results = await Promise.all([...ids].map(async (id) => [id, await inspect(id)] as const));
    for (const [id, data] of results) track(id, data);
    return full;
  }

  async function syncOnce(): Promise<void> {
    // Never sync before a full list: an empty set would remove every container's servers.
    if (await refresh()) firstListDone = true;
    if (!firstListDone) return;
    const { servers, drainStarted } = desiredServers(containers, sent, drains, now());
    for (const id of drainStarted) log.info({ container: containers.get(id)?.view.name ?? id, id }, 'container stopping: draining its servers');
    const cause = trigger;
    trigger = undefined;
    const names = Object.fromEntries([...containers].map(([id, t]) => [`container:${id}`, t.view.name]));
    const result = await deps.ops.syncSource('container', servers, { names });
    counters.syncs += 1;
    counters.lastSyncAt = now();
    counters.lastSyncError = undefined;
    const next = new Map<string, SourceServer[]>();
    for (const s of servers) {
      const id = s.source.slice('container:'.length);
      next.set(id, [...(next.get(id) ?? []), s]);
    }
    sent = next;
    recordRejected(result.rejected);
    if ([...drains.values()].some((d) => !d.done)) scheduleDrainCheck();
    deps.onSynced?.({ at: counters.lastSyncAt, servers, ...(cause ? { trigger: cause } : {}) });
  }

  function recordRejected(rejected: Array<{ server: SourceServer; reason: string }>): void {
    const byId = new Map<string, Array<{ domain: string; reason: string }>>();
    for (const r of rejected) {
      const id = r.server.source.slice('container:'.length);
      byId.set(id, [...(byId.get(id) ?? []), { domain: r.server.domain, reason: r.reason }]);
    }
    for (const [id, tracked] of containers) {
      tracked.rejected = byId.get(id) ?? [];
      const key = JSON.stringify(tracked.rejected);
      if (key === tracked.rejectedKey) continue;
      tracked.rejectedKey = key;
      for (const r of tracked.rejected) log.warn({ container: tracked.view.name, id, domain: r.domain }, `container ${tracked.view.name}: not routed for ${r.domain}: ${r.reason}`);
    }
  }

  async function runLoop(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await syncOnce();
        } catch (err) {
          counters.syncErrors += 1;
          counters.lastSyncError = (err as Error).message;
          log.error({ err }, 'container sync failed; retrying');
          fullPending = true;
          if (connected) kick(Math.min(backoff * 5, maxBackoff));
        }
      } while (again && !stopped);
    })();
    try {
      await running;
    } finally {
      running = undefined;
      if (!fullPending && dirty.size === 0) waiters.splice(0).forEach((w) => w());
    }
  }

  function scheduleDrainCheck(): void {
    if (drainTimer || stopped) return;
    drainTimer = setTimeout(() => {
      drainTimer = undefined;
      void checkDrains();
    }, drainPollMs);
  }

  async function checkDrains(): Promise<void> {
    let finished = false;
    for (const [id, entry] of drains) {
      if (entry.done) continue;
      const timedOut = now() - entry.since >= drainTimeoutMs;
      const idle = timedOut || (await drainFinished(deps.ops, entry.servers).catch(() => false));
      if (!idle) continue;
      entry.done = true;
      finished = true;
      const name = containers.get(id)?.view.name ?? id.slice(0, 12);
      log.info({ container: name, id, timedOut }, `container ${name}: ${timedOut ? 'drain timed out' : 'drained'}: removing its servers`);
    }
    if (finished) kick(0);
    if ([...drains.values()].some((d) => !d.done)) scheduleDrainCheck();
  }

  function scheduleReconnect(): void {
    if (stopped || reconnectTimer) return;
    const wait = backoff;
    backoff = Math.min(backoff * 2, maxBackoff);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, wait);
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    try {
      const since = lastEventTime ?? Math.floor(now() / 1000) - 1;
      subscription = await subscribeEvents(docker, since, {
        onEvent,
        onClose: (err) => {
          if (stopped) return;
          connected = false;
          subscription = undefined;
          counters.reconnects += 1;
          log.warn({ err: err?.message }, 'podman events stream ended; reconnecting');
          scheduleReconnect();
        },
      });
      lastEventTime ??= since;
      connected = true;
      outageReported = false;
      backoff = initialBackoff;
      fullPending = true;
      await runLoop();
      log.info({ socket: deps.socketPath, containers: containers.size }, 'podman watcher connected');
    } catch (err) {
      connected = false;
      subscription?.close();
      subscription = undefined;
      // Once per outage at warn; every further attempt would repeat the same line.
      (outageReported ? log.debug.bind(log) : log.warn.bind(log))({ err: (err as Error).message, retryInMs: backoff }, 'podman not reachable; retrying');
      outageReported = true;
      scheduleReconnect();
    }
  }

  return {
    async start() {
      if (!stopped) return;
      stopped = false;
      resyncTimer = setInterval(() => {
        if (!connected) return;
        fullPending = true;
        kick(0);
      }, resyncMs);
      resyncTimer.unref();
      await connect();
    },
    async stop() {
      stopped = true;
      for (const t of [reconnectTimer, debounceTimer, drainTimer, ...recheckTimers]) if (t) clearTimeout(t);
      recheckTimers.clear();
      if (resyncTimer) clearInterval(resyncTimer);
      reconnectTimer = debounceTimer = drainTimer = resyncTimer = undefined;
      subscription?.close();
      subscription = undefined;
      connected = false;
      await running?.catch(() => undefined);
      waiters.splice(0).forEach((w) => w());
    },
    listContainers() {
      return [...containers.entries()]
        .map(([id, t]) => buildReport({ view: t.view, sent: sent.get(id) ?? [], rejected: t.rejected, ...(drains.get(id) ? { drain: drains.get(id)! } : {}) }, deps.ops))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    async explainContainer(idOrName) {
      const key = idOrName.trim();
      let id = [...containers.keys()].find((cid) => cid === key || containers.get(cid)!.view.name === key || (key.length >= 3 && cid.startsWith(key)));
      const data = await inspect(id ?? key).catch(() => undefined);
      if (!data && !id) return undefined;
      id ??= data!.Id;
      const tracked = containers.get(id);
      const view = data ? viewContainer(data) : tracked!.view;
      const drain = drains.get(id);
      return buildReport({ view, sent: sent.get(id) ?? [], rejected: tracked?.rejected ?? [], ...(drain ? { drain } : {}) }, deps.ops);
    },
    stats() {
      const views = [...containers.values()];
      const stats: WatcherStats = {
        connected,
        watched: views.length,
        ready: views.filter((t) => t.view.serverState === 'ready' && !t.stoppingSince).length,
        invalid: views.filter((t) => t.view.errors.length > 0).length,
        disabled: views.filter((t) => t.view.decision === 'disabled').length,
        draining: [...drains.values()].filter((d) => !d.done).length,
        rejected: views.filter((t) => t.rejected.length > 0).length,
        reconnects: counters.reconnects,
        events: counters.events,
        syncs: counters.syncs,
        syncErrors: counters.syncErrors,
      };
      if (counters.lastSyncAt !== undefined) stats.lastSyncAt = counters.lastSyncAt;
      if (counters.lastSyncError !== undefined) stats.lastSyncError = counters.lastSyncError;
      return stats;
    },
    reconnect() {
      if (stopped || !reconnectTimer) return;
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      backoff = initialBackoff;
      void connect();
    },
    async resync() {
      if (stopped) return;
      const done = new Promise<void>((resolve) => waiters.push(resolve));
      fullPending = true;
      kick(0);
      await done;
    },
  };
}
