/**
 * @module Structured per-container reports for the MCP tools
 * (haproxy_list_containers, haproxy_explain_container) and the counters the
 * metrics module reads, built from the watcher's records; recordRejected
 * keeps and logs (once) the rejections of each container.
 */
import type { Logger } from 'pino';
import type { Operations, SourceServer } from '../operations/types.ts';
import { byContainer } from './desired-set.ts';
import type { Family, ServerState } from '../model/names.ts';
import type { ChosenAddress } from './address.ts';
import type { ContainerView } from './container-view.ts';
import type { ContainerLabels, LabelProblem } from './labels.ts';
import type { PendingRoute } from './route-tracker.ts';

/** Where a container stands, in one word. */
export type ContainerStatus = 'ready' | 'maint' | 'drain' | 'stopped' | 'invalid' | 'disabled' | 'rejected' | 'pending' | 'unlabelled';

/** A slot the operations layer gave one of the container's servers. */
export interface AssignedServer {
  domain: string;
  backend: string;
  name: string;
  family: Family;
  slot: number;
  address: string;
  port: number;
  effectiveState: ServerState;
}

export interface ContainerReport {
  id: string;
  name: string;
  /** Podman State.Status: running, exited, ... */
  status: string;
  running: boolean;
  health?: string;
  labels: Record<string, string>;
  decision: ContainerView['decision'];
  config?: ContainerLabels;
  /** One line per problem: `container web-1: label haproxy.prot="8080": unknown label; did you mean haproxy.port?` */
  errors: string[];
  problems: LabelProblem[];
  address?: ChosenAddress;
  state: ContainerStatus;
  reason: string;
  /** Servers last sent to the operations layer for this container. */
  servers: SourceServer[];
  assigned: AssignedServer[];
  /** Servers the operations layer could not place (pool full), with its reason. */
  rejected: Array<{ domain: string; reason: string }>;
  drain?: { since: string; done: boolean };
  /** Seen starting, not routed yet: why, and how often it was retried. */
  pending?: { since: string; reason: string; retries: number };
}

/** Counters for metrics: gauges (watched, ...) and monotonic totals (reconnects, ...). */
export interface WatcherStats {
  connected: boolean;
  /** Containers with haproxy.* labels that the watcher knows. */
  watched: number;
  ready: number;
  /** Containers skipped for bad labels or no usable address (quarantined). */
  invalid: number;
  disabled: number;
  draining: number;
  rejected: number;
  /** Seen starting and not routed yet (being retried, see route-tracker.ts). */
  pending: number;
  reconnects: number;
  events: number;
  /** API events whose news had come from Podman's events log first (their copy was not handled again). */
  early: number;
  syncs: number;
  syncErrors: number;
  /** ms since epoch of the last successful syncSource, if any. */
  lastSyncAt?: number;
  lastSyncError?: string;
  /** Podman's events log, while it is followed. */
  eventsLog?: string;
}

/** What the watcher keeps per container, as the report builder needs it. */
export interface ReportInput {
  view: ContainerView;
  sent: SourceServer[];
  rejected: Array<{ domain: string; reason: string }>;
  drain?: { since: number; done: boolean };
  pending?: PendingRoute;
}

function statusOf(input: ReportInput): { state: ContainerStatus; reason: string } {
  const { view, sent, rejected, drain } = input;
  if (view.decision === 'unlabelled') return { state: 'unlabelled', reason: view.reason };
  if (view.decision === 'disabled') return { state: 'disabled', reason: view.reason };
  if (view.errors.length > 0) return { state: 'invalid', reason: view.reason };
  if (drain && !drain.done) return { state: 'drain', reason: 'stopping: draining current sessions before removal' };
  if (rejected.length > 0) return { state: 'rejected', reason: rejected.map((r) => `${r.domain}: ${r.reason}`).join('; ') };
  if (input.pending) return { state: 'pending', reason: `started, not routed yet: ${input.pending.reason ?? 'syncing'} (retrying)` };
  if (sent.length === 0) return { state: 'stopped', reason: view.reason };
  return { state: view.serverState === 'ready' ? 'ready' : 'maint', reason: view.reason };
}

/** Builds the report of one container; `ops.getDomain` supplies the assigned slots. */
export function buildReport(input: ReportInput, ops: Pick<Operations, 'getDomain'>): ContainerReport {
  const { view } = input;
  const { state, reason } = statusOf(input);
  const source = `container:${view.id}`;
  const assigned: AssignedServer[] = [];
  for (const domain of new Set(input.sent.map((s) => s.domain))) {
    const domainView = ops.getDomain(domain);
    for (const s of domainView?.servers ?? []) {
      if (s.source !== source) continue;
      assigned.push({
        domain,
        backend: s.backend,
        name: s.name,
        family: s.family,
        slot: s.slot,
        address: s.address,
        port: s.port,
        effectiveState: s.effectiveState,
      });
    }
  }
  const report: ContainerReport = {
    id: view.id,
    name: view.name,
    status: view.status,
    running: view.running,
    labels: view.labels,
    decision: view.decision,
    errors: view.errors,
    problems: view.problems,
    state,
    reason,
    servers: input.sent,
    assigned,
    rejected: input.rejected,
  };
  if (view.health !== undefined) report.health = view.health;
  if (view.config !== undefined) report.config = view.config;
  if (view.address !== undefined) report.address = view.address;
  if (input.drain) report.drain = { since: new Date(input.drain.since).toISOString(), done: input.drain.done };
  if (input.pending) report.pending = { since: new Date(input.pending.since).toISOString(), reason: input.pending.reason ?? 'syncing', retries: input.pending.attempts };
  return report;
}

/** What the watcher knows, reduced to its counters. */
export interface StatsInput {
  connected: boolean;
  containers: Array<{ view: ContainerView; stoppingSince?: number; rejected: unknown[] }>;
  drains: Array<{ done: boolean }>;
  pending: number;
  eventsLog?: string | undefined;
  counters: { reconnects: number; events: number; early: number; syncs: number; syncErrors: number; lastSyncAt?: number | undefined; lastSyncError?: string | undefined };
}

export function watcherStats(input: StatsInput): WatcherStats {
  const { containers: views, counters } = input;
  const stats: WatcherStats = {
    connected: input.connected,
    watched: views.length,
    ready: views.filter((t) => t.view.serverState === 'ready' && !t.stoppingSince).length,
    invalid: views.filter((t) => t.view.errors.length > 0).length,
    disabled: views.filter((t) => t.view.decision === 'disabled').length,
    draining: input.drains.filter((d) => !d.done).length,
    rejected: views.filter((t) => t.rejected.length > 0).length,
    pending: input.pending,
    reconnects: counters.reconnects,
    events: counters.events,
    early: counters.early,
    syncs: counters.syncs,
    syncErrors: counters.syncErrors,
  };
  if (counters.lastSyncAt !== undefined) stats.lastSyncAt = counters.lastSyncAt;
  if (counters.lastSyncError !== undefined) stats.lastSyncError = counters.lastSyncError;
  if (input.eventsLog) stats.eventsLog = input.eventsLog;
  return stats;
}

/** Stores each container's rejections (pool full, no free pool) and logs those that changed, once. */
export function recordRejected(
  containers: ReadonlyMap<string, { view: ContainerView; rejected: Array<{ domain: string; reason: string }>; rejectedKey?: string }>,
  rejected: Array<{ server: SourceServer; reason: string }>,
  log: Logger,
): void {
  const byId = byContainer(rejected, (r) => r.server);
  for (const [id, tracked] of containers) {
    tracked.rejected = (byId.get(id) ?? []).map((r) => ({ domain: r.server.domain, reason: r.reason }));
    const key = JSON.stringify(tracked.rejected);
    if (key === tracked.rejectedKey) continue;
    tracked.rejectedKey = key;
    for (const r of tracked.rejected) log.warn({ container: tracked.view.name, id, domain: r.domain }, `container ${tracked.view.name}: not routed for ${r.domain}: ${r.reason}`);
  }
}
