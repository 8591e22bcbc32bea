/**
 * @module Containers seen starting that are not routed yet (issue 22). Each
 * one has the reason it is not routed and a retry time on a short
 * exponential backoff, so the watcher inspects and syncs it again until it is
 * routed or can never be (exited, removed, bad labels, disabled): it is never
 * left for the periodic resync. The watcher supplies the clock and the facts
 * it learned; the tracker keeps the retry timer and says when ids are due.
 */
import type { Logger } from 'pino';
import type { ContainerView } from './container-view.ts';

/** What one pass (inspect + sync) learned about a container awaiting its route. */
export interface RouteFacts {
  /** The inspect data, or why there is none. */
  view?: ContainerView;
  missing?: boolean;
  inspectError?: string;
  /** A stop/kill was seen since: it is on its way out, not to be routed. */
  stopping?: boolean;
  /** Servers the last successful sync carried for it. */
  sent: number;
  /** Rejections of the operations layer (pool full, no free pool). */
  rejected: string[];
  /** The sync failed, or HAProxy did not take it yet. */
  syncError?: string;
}

export type RouteOutcome = { kind: 'routed' } | { kind: 'waiting'; reason: string } | { kind: 'final'; reason: string };

const GONE = new Set(['exited', 'stopped', 'dead', 'removing']);

/** Routed, waiting (with the reason; retried), or final (with the reason; not retried). */
export function routeOutcome(f: RouteFacts): RouteOutcome {
  if (f.inspectError !== undefined) return { kind: 'waiting', reason: `inspect failed: ${f.inspectError}` };
  if (f.missing || !f.view) return { kind: 'final', reason: 'removed before it could be routed' };
  const v = f.view;
  if (v.decision === 'unlabelled' || v.decision === 'disabled') return { kind: 'final', reason: v.reason };
  // The label problems themselves were logged by the watcher, once: not repeated here.
  if (v.decision === 'invalid') return { kind: 'final', reason: v.reason };
  if (!v.running) {
    if (GONE.has(v.status)) return { kind: 'final', reason: `${v.reason} before it could be routed` };
    return { kind: 'waiting', reason: `not running yet (${v.status || 'unknown'})` };
  }
  if (f.stopping) return { kind: 'final', reason: 'stopping' };
  if (v.servers.length === 0) return { kind: 'waiting', reason: `no usable address yet: ${v.errors.join('; ') || v.reason}` };
  if (f.syncError !== undefined) return { kind: 'waiting', reason: f.syncError };
  if (f.rejected.length > 0) return { kind: 'waiting', reason: f.rejected.join('; ') };
  if (f.sent < v.servers.length) return { kind: 'waiting', reason: 'not synced yet' };
  return { kind: 'routed' };
}

export interface PendingRoute {
  /** When the start (or restart, unpause, health) event arrived, ms. */
  since: number;
  attempts: number;
  retryAt: number;
  reason?: string;
}

/** What the watcher knows of one container: the facts, its name, and whether its problem was already logged. */
export interface RouteSubject {
  facts: RouteFacts;
  name: string;
  /** Bad labels or haproxy.enable=false were already reported: say the final reason at info only. */
  reported: boolean;
}

export interface RouteTrackerOptions {
  /** First retry after this long (default 100 ms); doubles per attempt. */
  firstRetryMs?: number;
  /** Retries never wait longer than this (default 2000 ms). */
  maxRetryMs?: number;
}

/** What settle() decided, for the watcher to log. */
export type Settled =
  | { kind: 'routed'; afterMs: number; attempts: number }
  | { kind: 'final'; reason: string }
  | { kind: 'waiting'; reason: string; changed: boolean; retryInMs: number };

export interface RouteTracker {
  /** A start-like event arrived: the container must end up routed or reported. */
  expect(id: string, at: number): void;
  /** Stops tracking (removed from the watcher). */
  drop(id: string): void;
  /** Records the outcome of a pass; `inspected` says the pass looked at it (only then the backoff grows). */
  settle(id: string, outcome: RouteOutcome, now: number, inspected: boolean): Settled | undefined;
  /**
   * Settles every pending container with what the pass learned, logs the
   * outcome (routed after retries at info, waiting once per reason and final
   * at warn), and re-arms the retry timer.
   */
  settleAll(subject: (id: string) => RouteSubject, inspected: ReadonlySet<string>): void;
  /** Clears the timer. */
  stop(): void;
  /** Ids whose retry is due. */
  due(now: number): string[];
  /** Earliest retry time, if any. */
  nextRetryAt(): number | undefined;
  get(id: string): PendingRoute | undefined;
  ids(): string[];
  readonly size: number;
}

export interface RouteTrackerDeps {
  now: () => number;
  log: Logger;
  /** Retries are due: inspect these ids and sync. */
  onDue: (ids: string[]) => void;
}

export function createRouteTracker(deps: RouteTrackerDeps, opts: RouteTrackerOptions = {}): RouteTracker {
  const first = opts.firstRetryMs ?? 100;
  const max = opts.maxRetryMs ?? 2000;
  const pending = new Map<string, PendingRoute>();
  const { now, log } = deps;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  function arm(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const at = tracker.nextRetryAt();
    if (at === undefined || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      const ids = tracker.due(now());
      if (ids.length > 0) deps.onDue(ids);
      else arm();
    }, Math.max(0, at - now()));
  }

  const tracker: RouteTracker = {
    settleAll(subject, inspected) {
      const at = now();
      for (const id of [...pending.keys()]) {
        const { facts, name, reported } = subject(id);
        const settled = tracker.settle(id, routeOutcome(facts), at, inspected.has(id));
        const ctx = { container: name, id };
        if (settled?.kind === 'routed' && settled.attempts > 0) log.info({ ...ctx, ms: settled.afterMs, retries: settled.attempts }, `container ${name} routed after ${settled.attempts} retries`);
        else if (settled?.kind === 'final') (reported ? log.info.bind(log) : log.warn.bind(log))(ctx, `container ${name} started but is not routed: ${settled.reason}`);
        else if (settled?.kind === 'waiting' && settled.changed) log.warn({ ...ctx, retryInMs: settled.retryInMs }, `container ${name} not routed yet: ${settled.reason}; retrying`);
      }
      arm();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    expect(id, at) {
      const p = pending.get(id);
      if (p) p.retryAt = Math.min(p.retryAt, at);
      else pending.set(id, { since: at, attempts: 0, retryAt: at });
    },
    drop(id) {
      pending.delete(id);
    },
    settle(id, outcome, now, inspected) {
      const p = pending.get(id);
      if (!p) return undefined;
      if (outcome.kind !== 'waiting') {
        pending.delete(id);
        return outcome.kind === 'routed' ? { kind: 'routed', afterMs: now - p.since, attempts: p.attempts } : outcome;
      }
      const changed = outcome.reason !== p.reason;
      p.reason = outcome.reason;
      if (inspected || p.retryAt <= now) {
        const wait = Math.min(max, first * 2 ** p.attempts);
        p.attempts += 1;
        p.retryAt = now + wait;
      }
      return { kind: 'waiting', reason: outcome.reason, changed, retryInMs: Math.max(0, p.retryAt - now) };
    },
    due(now) {
      return [...pending].filter(([, p]) => p.retryAt <= now).map(([id]) => id);
    },
    nextRetryAt() {
      let at: number | undefined;
      for (const p of pending.values()) if (at === undefined || p.retryAt < at) at = p.retryAt;
      return at;
    },
    get: (id) => pending.get(id),
    ids: () => [...pending.keys()],
    get size() {
      return pending.size;
    },
  };
  return tracker;
}
