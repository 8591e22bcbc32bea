/**
 * @module What the status page shows, as one JSON snapshot built from the
 * existing read APIs: the operations views with HAProxy's `show stat` (one
 * call per snapshot, turned into each host's health by the same
 * domainHealth as ops.health), explainRoute for each host's verdict and problems,
 * the watcher's container reports, the certificate list, `show info`, the
 * watcher's connection and the tail of the audit log. Nothing here changes
 * anything; a part that fails becomes an error string in the snapshot.
 */
import { open } from 'node:fs/promises';
import type { CertStatus } from '../acme/manager.ts';
import { explainRoute } from '../mcp/explain.ts';
import type { CertSummary } from '../mcp/providers.ts';
import type { Operations } from '../operations/types.ts';
import { domainHealth } from '../operations/views.ts';
import type { HaproxyInfo, StatRow } from '../model/haproxy.ts';
import type { ContainerReport, WatcherStats } from '../podman/report.ts';

/** Where the snapshot reads from; every part but ops and haproxy may be absent. */
export interface StatusSources {
  ops: Pick<Operations, 'listDomains' | 'getDomain'>;
  haproxy: { info(): Promise<HaproxyInfo>; stats(): Promise<StatRow[]> };
  /** Whether the HAProxy with this worker PID was built with QUIC; undefined when unknown. */
  quic?: (pid: number) => Promise<boolean | undefined>;
  /** PEM certificates in the cert directory (what SNI picks from). */
  pemCerts: () => Promise<CertSummary[]>;
  /** The ACME manager's view (issuer, renewal state, last error); absent when issuance is off. */
  managedCerts?: () => Promise<CertStatus[]>;
  containers?: { list(): ContainerReport[]; stats(): WatcherStats; socket?: string };
  /** Path of audit.log. */
  auditFile: string;
  /** ms since epoch of the last successful reconcile, when known. */
  lastReconcileAt?: () => Promise<number | undefined>;
  now?: () => number;
}

export interface StatusServer {
  name: string;
  family: string;
  slot: number;
  address: string;
  port: number;
  weight: number;
  effectiveWeight: number;
  state: string;
  effectiveState: string;
  /** HAProxy's status (UP, DOWN, MAINT, no check ...) or UNKNOWN. */
  health: string;
  checkStatus: string;
  /** container NAME, resource Kind/name, or manual. */
  source: string;
  override?: string;
}

export interface StatusHost {
  host: string;
  pool: number;
  backend: string;
  source: string;
  wouldServe: boolean;
  problems: string[];
  servers: StatusServer[];
}

export interface StatusContainer {
  id: string;
  name: string;
  status: string;
  state: string;
  reason: string;
  domains: string[];
  errors: string[];
  servers: string[];
}

export interface StatusCert {
  name: string;
  domains: string[];
  issuer?: string;
  notAfter?: string;
  daysLeft?: number;
  /** ok, renewal due, failing, pending, expired, not managed. */
  renewal: string;
  renewAt?: string;
  nextAttempt?: string;
  lastError?: string;
}

export interface StatusAuditEntry {
  time: string;
  tool: string;
  caller: string;
  outcome: string;
  dryRun: boolean;
  args: string;
  error?: string;
}

export interface StatusSnapshot {
  generatedAt: string;
  haproxy: { version?: string; pid?: number; uptimeSec?: number; quic?: boolean; error?: string };
  podman: { enabled: boolean; connected?: boolean; socket?: string; lastSyncAt?: string; lastSyncError?: string; watched?: number; eventsLog?: string };
  lastReconcileAt?: string;
  hosts: StatusHost[];
  containers: StatusContainer[];
  certificates: StatusCert[];
  certificatesError?: string;
  audit: StatusAuditEntry[];
  auditError?: string;
}

const DAY_MS = 86_400_000;
/** Bytes read from the end of audit.log: plenty for the last AUDIT_ENTRIES lines. */
const AUDIT_TAIL_BYTES = 64 * 1024;
const AUDIT_ENTRIES = 25;

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The last `count` entries of audit.log, newest first; a missing file is an empty log. */
export async function readAuditTail(file: string, count = AUDIT_ENTRIES): Promise<StatusAuditEntry[]> {
  let text: string;
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - AUDIT_TAIL_BYTES);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      text = buf.toString('utf8');
      // A tail that starts mid-line drops that partial line.
      if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries: StatusAuditEntry[] = [];
  for (const line of text.split('\n').filter(Boolean).slice(-count).reverse()) {
    try {
      const e = JSON.parse(line) as Record<string, unknown>;
      entries.push({
        time: String(e.time ?? ''),
        tool: String(e.tool ?? ''),
        caller: String(e.caller ?? ''),
        outcome: String(e.outcome ?? ''),
        dryRun: e.dry_run === true,
        args: JSON.stringify(e.args ?? {}).slice(0, 300),
        ...(typeof e.error === 'string' ? { error: e.error } : {}),
      });
    } catch {
      // A torn line (crash mid-write) is skipped, not fatal.
    }
  }
  return entries;
}

/** Renewal state of a managed certificate, in words. */
export function renewalState(c: CertStatus, nowMs: number): string {
  if (c.notAfter && Date.parse(c.notAfter) <= nowMs) return c.lastError ? 'expired, renewal failing' : 'expired';
  if (c.lastError && c.failures > 0) return 'failing';
  if (!c.ready) return 'pending';
  if (c.hotloadPending) return 'hot-load pending';
  if (c.renewAt && Date.parse(c.renewAt) <= nowMs) return 'renewal due';
  return 'ok';
}

function certRows(pem: CertSummary[], managed: CertStatus[] | undefined, nowMs: number): StatusCert[] {
  const days = (notAfter: string | undefined) => (notAfter && !Number.isNaN(Date.parse(notAfter)) ? Math.floor((Date.parse(notAfter) - nowMs) / DAY_MS) : undefined);
  const rows = new Map<string, StatusCert>();
  for (const c of pem) {
    const daysLeft = days(c.notAfter);
    rows.set(c.name, { name: c.name, domains: c.dnsNames, ...(c.notAfter ? { notAfter: c.notAfter } : {}), ...(daysLeft !== undefined ? { daysLeft } : {}), renewal: daysLeft !== undefined && daysLeft < 0 ? 'expired' : 'not managed' });
  }
  for (const c of managed ?? []) {
    const daysLeft = days(c.notAfter);
    rows.set(c.name, {
      name: c.name,
      domains: c.domains,
      ...(c.issuer ? { issuer: c.issuer } : {}),
      ...(c.notAfter ? { notAfter: c.notAfter } : {}),
      ...(daysLeft !== undefined ? { daysLeft } : {}),
      renewal: renewalState(c, nowMs),
      ...(c.renewAt ? { renewAt: c.renewAt } : {}),
      ...(c.nextAttempt ? { nextAttempt: c.nextAttempt } : {}),
      ...(c.lastError ? { lastError: c.lastError } : {}),
    });
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** container:<id> as the container's name, manifest:<kind>/<name> as the resource, else manual. */
function sourceLabel(provenance: string, names: Map<string, string>): string {
  if (provenance.startsWith('container:')) {
    const id = provenance.slice('container:'.length);
    return `container ${names.get(id) ?? id.slice(0, 12)}`;
  }
  if (provenance.startsWith('manifest:')) return `resource ${provenance.slice('manifest:'.length)}`;
  return provenance;
}

/** Builds one snapshot; never throws for a part that is down (it is reported in the snapshot). */
export async function buildSnapshot(src: StatusSources): Promise<StatusSnapshot> {
  const nowMs = (src.now ?? Date.now)();
  const [info, stats, pem, managed, audit, lastReconcile] = await Promise.allSettled([
    src.haproxy.info(),
    src.haproxy.stats(),
    src.pemCerts(),
    src.managedCerts ? src.managedCerts() : Promise.resolve(undefined),
    readAuditTail(src.auditFile),
    src.lastReconcileAt ? src.lastReconcileAt() : Promise.resolve(undefined),
  ]);
  const quic = info.status === 'fulfilled' && src.quic ? await src.quic(info.value.pid).catch(() => undefined) : undefined;
  const containers = src.containers?.list() ?? [];
  const names = new Map(containers.map((c) => [c.id, c.name]));
  const rows = stats.status === 'fulfilled' ? stats.value : undefined;
  const pemList = pem.status === 'fulfilled' ? pem.value : [];

  // explainRoute with one `show stat` and one cert list shared by every host.
  const explainDeps = {
    ops: {
      getDomain: (d: string) => src.ops.getDomain(d),
      parsed: {
        health: async (d: string) => {
          if (!rows) throw new Error(`HAProxy statistics unavailable (${stats.status === 'rejected' ? message(stats.reason) : 'unknown'})`);
          return domainHealth(src.ops.getDomain(d)!, rows);
        },
      },
    },
    ...(pem.status === 'fulfilled' ? { certs: { list: async () => pemList } } : {}),
    now: () => nowMs,
  };
  const hosts: StatusHost[] = [];
  for (const view of src.ops.listDomains()) {
    const explained = await explainRoute(explainDeps, view.domain);
    const byName = new Map(explained.servers.map((s) => [s.name, s]));
    hosts.push({
      host: view.domain,
      pool: view.pool,
      backend: view.backend,
      source: sourceLabel(view.source, names),
      wouldServe: explained.wouldServe,
      problems: explained.problems,
      servers: view.servers.map((s) => ({
        name: s.name,
        family: s.family,
        slot: s.slot,
        address: s.address,
        port: s.port,
        weight: s.weight,
        effectiveWeight: s.effectiveWeight,
        state: s.state,
        effectiveState: s.effectiveState,
        health: byName.get(s.name)?.health ?? 'UNKNOWN',
        checkStatus: byName.get(s.name)?.checkStatus ?? '',
        source: sourceLabel(s.source, names),
        ...(s.override && (s.override.state || s.override.weight !== undefined)
          ? { override: [s.override.state ? `state=${s.override.state}` : '', s.override.weight !== undefined ? `weight=${s.override.weight}` : '', `by ${s.override.by ?? 'unknown'}`].filter(Boolean).join(' ') }
          : {}),
      })),
    });
  }

  const watcherStats = src.containers?.stats();
  const snapshot: StatusSnapshot = {
    generatedAt: new Date(nowMs).toISOString(),
    haproxy:
      info.status === 'fulfilled'
        ? { version: info.value.version, pid: info.value.pid, uptimeSec: info.value.uptimeSec, ...(quic !== undefined ? { quic } : {}) }
        : { error: message(info.reason) },
    podman: src.containers
      ? {
          enabled: true,
          connected: watcherStats!.connected,
          watched: watcherStats!.watched,
          ...(src.containers.socket ? { socket: src.containers.socket } : {}),
          ...(watcherStats!.lastSyncAt ? { lastSyncAt: new Date(watcherStats!.lastSyncAt).toISOString() } : {}),
          ...(watcherStats!.lastSyncError ? { lastSyncError: watcherStats!.lastSyncError } : {}),
          ...(watcherStats!.eventsLog ? { eventsLog: watcherStats!.eventsLog } : {}),
        }
      : { enabled: false },
    hosts,
    containers: containers
      .filter((c) => c.state !== 'unlabelled')
      .map((c) => ({
        id: c.id,
        name: c.name,
        status: c.status,
        state: c.state,
        reason: c.reason,
        domains: c.config?.domains ?? [],
        errors: [...c.errors, ...c.rejected.map((r) => `${r.domain}: ${r.reason}`)],
        servers: c.assigned.map((a) => `${a.domain} ${a.name} ${a.address}:${a.port}`),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    certificates: certRows(pemList, managed.status === 'fulfilled' ? managed.value : undefined, nowMs),
    audit: audit.status === 'fulfilled' ? audit.value : [],
  };
  if (lastReconcile.status === 'fulfilled' && lastReconcile.value) snapshot.lastReconcileAt = new Date(lastReconcile.value).toISOString();
  const certErrors = [pem, managed].filter((r) => r.status === 'rejected').map((r) => message((r as PromiseRejectedResult).reason));
  if (certErrors.length > 0) snapshot.certificatesError = certErrors.join('; ');
  if (audit.status === 'rejected') snapshot.auditError = message(audit.reason);
  return snapshot;
}

/** The snapshot without what changes every second (clock, uptime): equal fingerprints mean nothing to push. */
export function fingerprint(s: StatusSnapshot): string {
  return JSON.stringify({ ...s, generatedAt: undefined, haproxy: { ...s.haproxy, uptimeSec: undefined } });
}
