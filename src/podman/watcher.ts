/**
 * @module The container watcher: keeps `ops.syncSource('container', …)` equal
 * to what the labelled containers ask for. Level-triggered: events only mark
 * container ids dirty, inspect is the truth, and every sync sends the full
 * desired set, so a missed event, a Podman service restart or an operator
 * restart all converge on the next list (traefik#13549, podman#21685).
 */
import Dockerode from 'dockerode';
import type { SourceServer } from '../operations/types.ts';
import { viewContainer, type ContainerView } from './container-view.ts';
import type { ContainerInspectLike } from './address.ts';
import { subscribeEvents, type ContainerEvent, type EventSubscription } from './event-stream.ts';
import { createSeenEvents, followEventsLog, type EventsLog } from './events-log.ts';
import { hasOwnLabels, parseSelector } from './label-keys.ts';
import { buildReport, recordRejected, watcherStats, type ContainerReport } from './report.ts';
import { finishDrains } from './drain.ts';
import { byContainer, desiredServers, endReplaced, type DrainEntry } from './desired-set.ts';
import { createRouteTracker, type RouteFacts, type RouteSubject } from './route-tracker.ts';
import type { ContainerWatcher, WatcherDeps } from './watcher-api.ts';

export type { ContainerWatcher, WatcherDeps, WatcherOperations } from './watcher-api.ts';

interface Tracked {
  view: ContainerView;
  /** A stop/kill event was seen while running: drain now, before `died`. */
  stoppingSince?: number;
  errorsKey?: string;
  rejectedKey?: string;
  rejected: Array<{ domain: string; reason: string }>;
}

const STOPPING_GIVE_UP_MS = 120_000;
/** Events after which the container must end up routed or reported (issue 22). */
const STARTING = new Set(['start', 'restart', 'unpause']);
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
  /** Last known name per id: a container removed before its drain began is still matched by name when replaced. */
  const lastNames = new Map<string, string>();
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
  const inspectErrors = new Map<string, string>();
  /** Why the last sync did not reach HAProxy, if it did not. */
  let syncError: string | undefined;
  let syncFailing = false;
  const routes = createRouteTracker({ now, log, onDue: (ids) => void (ids.forEach((id) => dirty.add(id)), kick(0)) }, deps.routeRetry);
  const seenEvents = createSeenEvents();
  let eventsLog: EventsLog | undefined;
  const counters = { reconnects: 0, events: 0, early: 0, syncs: 0, syncErrors: 0, lastSyncAt: undefined as number | undefined, lastSyncError: undefined as string | undefined };

  function selected(labels: Record<string, string> | null | undefined): boolean {
    return !selector || labels?.[selector.key] === selector.value;
  }

  function kick(delayMs = debounceMs): void {
    if (stopped || debounceTimer) return;
    debounceTimer = setTimeout(() => {
      debounceTimer = undefined;
      void runLoop();
    }, delayMs);
  }

  /** From the API stream: the truth for `since=`; an event already handled (told by the log, or replayed) is not handled again. */
  function onEvent(event: ContainerEvent): void {
    counters.events += 1;
    lastEventTime = Math.max(lastEventTime ?? 0, event.time);
    const seen = seenEvents.first(event);
    if (seen.first) return handle(event);
    if (seen.via === 'log') counters.early += 1;
    deps.onEcho?.(event);
  }

  function onLogEvent(event: ContainerEvent): void {
    if (seenEvents.first(event).first) handle(event);
  }

  function handle(event: ContainerEvent): void {
    deps.onEvent?.(event);
    const tracked = containers.get(event.id);
    if (!tracked && !hasOwnLabels(event.attributes)) return;
    if (!tracked && !selected(event.attributes)) return;
    if (tracked && (event.action === 'stop' || event.action === 'kill') && tracked.view.running) tracked.stoppingSince ??= now();
    if (tracked && STARTING.has(event.action)) delete tracked.stoppingSince;
    if (STARTING.has(event.action)) routes.expect(event.id, now());
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

  /** Inspect data, or undefined for a container that no longer exists. */
  const inspect = (id: string): Promise<ContainerInspectLike | undefined> =>
    docker.getContainer(id).inspect().then(
      (data) => data as unknown as ContainerInspectLike,
      (err: { statusCode?: number }) => (err.statusCode === 404 ? undefined : Promise.reject(err)),
    );

  function track(id: string, data: ContainerInspectLike | undefined): void {
    inspectErrors.delete(id);
    if (!data || !selected(data.Config?.Labels) || !hasOwnLabels(data.Config?.Labels)) {
      containers.delete(id);
      return;
    }
    const view = viewContainer(data);
    lastNames.set(id, view.name);
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

  /** Inspects dirty containers (all labelled ones after a full list). */
  async function refresh(): Promise<{ full: boolean; inspected: Set<string> }> {
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
    // One failed inspect must not hold back the others: it is recorded and retried (route tracker).
    const results = await Promise.all([...ids].map(async (id) => [id, await inspect(id).then((data) => ({ data }), (err: Error) => ({ err }))] as const));
    for (const [id, r] of results) {
      if ('err' in r) inspectErrors.set(id, r.err.message);
      else track(id, r.data);
    }
    return { full, inspected: ids };
  }

  async function syncOnce(): Promise<void> {
    // Never sync before a full list: an empty set would remove every container's servers.
    const t0 = now();
    const pass = await refresh();
    const inspectMs = now() - t0;
    if (pass.full) firstListDone = true;
    if (!firstListDone) return;
    const { servers, drainStarted } = desiredServers(containers, sent, drains, now(), (domain) => deps.ops.getDomain(domain)?.holdMs ?? 0, (id) => lastNames.get(id));
    for (const id of lastNames.keys()) if (!containers.has(id) && !drains.has(id)) lastNames.delete(id);
    for (const id of drainStarted) log.info({ container: containers.get(id)?.view.name ?? id, id }, 'container stopping: draining its servers');
    const cause = trigger;
    trigger = undefined;
    const names = Object.fromEntries([...containers].map(([id, t]) => [`container:${id}`, t.view.name]));
    const result = await deps.ops.syncSource('container', servers, { names });
    log.debug({ inspected: pass.inspected.size, full: pass.full, inspectMs, syncMs: now() - t0 - inspectMs, servers: servers.length }, 'container pass');
    counters.syncs += 1;
    counters.lastSyncAt = now();
    counters.lastSyncError = undefined;
    sent = byContainer(servers, (s) => s);
    recordRejected(containers, result.rejected, log);
    syncError = result.unapplied ? 'HAProxy not reachable: saved, not applied yet' : undefined;
    routes.settleAll(routeSubject, pass.inspected);
    // Not in HAProxy yet: sync again soon (the operations layer catches up), not at the resync.
    if (result.unapplied) kick(Math.min(backoff * 5, maxBackoff));
    else if (endReplaced(drains)) kick(0);
    if (syncFailing) log.info('container sync recovered');
    syncFailing = false;
    if ([...drains.values()].some((d) => !d.done)) scheduleDrainCheck();
    deps.onSynced?.({ at: counters.lastSyncAt, servers, ...(cause ? { trigger: cause } : {}) });
  }

  /** The route tracker's view of one container (issue 22: routed, or reported and retried). */
  function routeSubject(id: string): RouteSubject {
    const tracked = containers.get(id);
    const error = inspectErrors.get(id);
    const facts: RouteFacts = {
      ...(tracked ? { view: tracked.view } : { missing: true }),
      ...(error !== undefined ? { inspectError: error } : {}),
      ...(syncError !== undefined ? { syncError } : {}),
      stopping: tracked?.stoppingSince !== undefined,
      sent: sent.get(id)?.length ?? 0,
      rejected: (tracked?.rejected ?? []).map((r) => `${r.domain}: ${r.reason}`),
    };
    return { facts, name: tracked?.view.name ?? id.slice(0, 12), reported: !!tracked && (tracked.view.decision !== 'valid' || tracked.view.errors.length > 0) };
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
          // Once per failing streak: a retry every second would repeat it for the whole outage.
          (syncFailing ? log.debug.bind(log) : log.error.bind(log))({ err }, 'container sync failed; retrying');
          syncFailing = true;
          syncError = `sync failed: ${(err as Error).message}`;
          routes.settleAll(routeSubject, new Set());
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
    const finished = await finishDrains(drains, deps.ops, now, drainTimeoutMs, log, (id) => containers.get(id)?.view.name ?? id.slice(0, 12));
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

  function report(id: string, view: ContainerView): ContainerReport {
    const drain = drains.get(id);
    const pending = routes.get(id);
    return buildReport({ view, sent: sent.get(id) ?? [], rejected: containers.get(id)?.rejected ?? [], ...(drain ? { drain } : {}), ...(pending ? { pending } : {}) }, deps.ops);
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
      if (deps.eventsLog) eventsLog = await followEventsLog(deps.eventsLog, onLogEvent, log, now);
      await connect();
    },
    async stop() {
      stopped = true;
      for (const t of [reconnectTimer, debounceTimer, drainTimer, ...recheckTimers]) if (t) clearTimeout(t);
      routes.stop();
      recheckTimers.clear();
      if (resyncTimer) clearInterval(resyncTimer);
      reconnectTimer = debounceTimer = drainTimer = resyncTimer = undefined;
      subscription?.close();
      eventsLog?.close();
      subscription = eventsLog = undefined;
      connected = false;
      await running?.catch(() => undefined);
      waiters.splice(0).forEach((w) => w());
    },
    listContainers() {
      return [...containers.entries()].map(([id, t]) => report(id, t.view)).sort((a, b) => a.name.localeCompare(b.name));
    },
    async explainContainer(idOrName) {
      const key = idOrName.trim();
      let id = [...containers.keys()].find((cid) => cid === key || containers.get(cid)!.view.name === key || (key.length >= 3 && cid.startsWith(key)));
      const data = await inspect(id ?? key).catch(() => undefined);
      if (!data && !id) return undefined;
      id ??= data!.Id;
      return report(id, data ? viewContainer(data) : containers.get(id)!.view);
    },
    stats: () => watcherStats({ connected, containers: [...containers.values()], drains: [...drains.values()], pending: routes.size, counters, eventsLog: eventsLog?.following() ? deps.eventsLog : undefined }),
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
