/**
 * @module The resources controller: the resources directory is the desired
 * state. Every trigger (a file event, the periodic rescan, apply/delete, a
 * report from the ACME module) leads to the same level-triggered reconcile:
 * read the whole directory, hand Domains to operations.syncSource('manifest'),
 * Issuers and Certificates to the injected ACME parts, then recompute every
 * resource's conditions and persist them. One reconcile runs at a time.
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { setCondition, getCondition, type Condition, type ConditionInput } from '../model/conditions.ts';
import { NotFoundError } from '../model/errors.ts';
import {
  GROUP_VERSION,
  parseDuration,
  resourceKey,
  type CertificateResource,
  type DomainResource,
  type IssuerResource,
  type Kind,
  type Resource,
} from '../model/resources.ts';
import type { Operations, PlanStep, SyncResult } from '../operations/types.ts';
import { commitEdits, planApply, planDelete, type ApplyItem, type EditPlan } from './apply.ts';
import { formatProblem, loadDirectory, type LoadedResource, type ManifestProblem } from './load.ts';
import { domainCertificateReady, domainNotCovered, domainReady, uncoveredHosts, domainServers, domainSource, type HostHealth, type ResourceReport } from './status.ts';
import { readStatus, renderStatus, writeStatus, type StatusEntry } from './status-store.ts';
import { watchDirectory, type DirectoryWatch } from './watch.ts';
import { keepLastGood, keyOf, nextGeneration } from './effective.ts';

export type { ResourceReport } from './status.ts';

/** What the ACME module is asked to keep issued. */
export interface CertificateRequest {
  name: string;
  dnsNames: string[];
  issuerName: string;
  renewBeforeMs: number;
  generation: number;
}

/** The ACME module's side: keep these certificates issued; may report each one's state. */
export interface CertificateManager {
  /**
   * Should return quickly (issuance takes minutes): reports known now are
   * returned, later ones (issued, waiting for DNS, the CA's error) go to `report`.
   */
  ensure(certs: CertificateRequest[], report: (r: ResourceReport) => void): Promise<ResourceReport[] | void>;
}

/** Keeps the set of ACME issuers equal to the Issuer resources; may report each one's state. */
export interface IssuerRegistry {
  /** Reports known now are returned; later ones (account registered, token refused) go to `report`. */
  sync(issuers: IssuerResource[], report?: (r: ResourceReport) => void): Promise<ResourceReport[] | void>;
}

export interface ResourceControllerDeps {
  /** The watched resources directory (created if absent). */
  dir: string;
  /** Where resources-status.json lives. */
  stateDir: string;
  ops: Pick<Operations, 'syncSource' | 'health'>;
  logger: Logger;
  clock?: () => Date;
  certs?: CertificateManager;
  issuers?: IssuerRegistry;
  debounceMs?: number;
  resyncMs?: number;
}

/** A resource as `get` shows it: the manifest plus operator-filled metadata and status. */
export interface ResourceView {
  apiVersion: string;
  kind: Kind;
  metadata: { name: string; generation: number; creationTimestamp: string; annotations: Record<string, string>; labels?: Record<string, string> };
  spec: Resource['spec'];
  status: { observedGeneration: number; conditions: Condition[] };
}

export interface ReconcileReport {
  resources: number;
  problems: ManifestProblem[];
  sync?: SyncResult;
}

export interface ApplyResult {
  ok: boolean;
  dryRun: boolean;
  problems: ManifestProblem[];
  items: ApplyItem[];
  /** With dryRun: the runtime steps the Domain changes would cause. */
  plan?: PlanStep[];
}

export interface ResourceController {
  start(): Promise<void>;
  stop(): Promise<void>;
  reconcile(why?: string): Promise<ReconcileReport>;
  list(kind: Kind): ResourceView[];
  get(kind: Kind, name: string): ResourceView | undefined;
  problems(): ManifestProblem[];
  applyDocuments(text: string, opts?: { dryRun?: boolean }): Promise<ApplyResult>;
  deleteDocuments(text: string, opts?: { dryRun?: boolean }): Promise<ApplyResult>;
  /** Sets a condition (Ready by default) on a resource, e.g. from the ACME module; throws NotFoundError. */
  report(kind: Kind, name: string, report: Omit<ResourceReport, 'name'> & { type?: string }): Promise<void>;
}

export const SOURCE_FILE_ANNOTATION = 'haproxy-operator.io/source-file';

/** Creates the controller; nothing runs until start(). */
export function createResourceController(deps: ResourceControllerDeps): ResourceController {
  const clock = deps.clock ?? (() => new Date());
  const log = deps.logger;
  let current = new Map<string, LoadedResource>();
  let problems: ManifestProblem[] = [];
  let status = new Map<string, StatusEntry>();
  let lastWritten = '';
  let lastProblemsLogged = '';
  let chain: Promise<unknown> = Promise.resolve();
  let queued = false;
  let watcher: DirectoryWatch | undefined;

  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn);
    chain = run.catch(() => undefined);
    return run;
  }

  function entryFor(r: Resource, now: Date): StatusEntry {
    const key = keyOf(r);
    const prev = status.get(key);
    const { generation, specHash } = nextGeneration(r, prev);
    return { generation, specHash, createdAt: prev?.createdAt ?? now.toISOString(), conditions: prev?.conditions ?? [] };
  }

  function fromReport(report: ResourceReport | undefined, entry: StatusEntry, absent: ConditionInput): ConditionInput {
    if (report) return { type: 'Ready', status: report.status, reason: report.reason, message: report.message, observedGeneration: entry.generation };
    // A report pushed through report() for this generation stays until a newer one arrives.
    const kept = getCondition(entry.conditions, 'Ready');
    if (kept && kept.observedGeneration === entry.generation && kept.reason !== absent.reason) return kept;
    return absent;
  }

  async function callSafely<T>(what: string, fn: () => Promise<T>): Promise<{ value?: T; error?: string }> {
    try {
      return { value: await fn() };
    } catch (err) {
      log.warn({ err }, `${what} failed`);
      return { error: (err as Error).message };
    }
  }

  async function doReconcile(why: string): Promise<ReconcileReport> {
    const now = clock();
    let loaded;
    try {
      loaded = await loadDirectory(deps.dir);
    } catch (err) {
      // An unreadable directory must not look like "every resource was deleted".
      log.error({ err, dir: deps.dir }, 'cannot read resources directory; keeping the current state');
      return { resources: current.size, problems };
    }
    const { effective, invalid } = keepLastGood(current, loaded.resources, loaded.problems);
    problems = loaded.problems;
    const problemText = problems.map(formatProblem).join('\n');
    if (problemText !== lastProblemsLogged) {
      for (const p of problems) log.warn({ file: p.file, index: p.index, field: p.field }, `invalid manifest: ${formatProblem(p)}`);
      lastProblemsLogged = problemText;
    }
    current = new Map(effective.map((e) => [keyOf(e.resource), e]));
    const next = new Map<string, StatusEntry>();
    for (const [key, e] of current) next.set(key, entryFor(e.resource, now));
    const set = (key: string, cond: ConditionInput): void => {
      const entry = next.get(key)!;
      entry.conditions = setCondition(entry.conditions, cond, now);
    };
    const of = <K extends Kind>(kind: K) =>
      [...current.values()].map((e) => e.resource).filter((r): r is Extract<Resource, { kind: K }> => r.kind === kind);
    const domains = of('Domain') as DomainResource[];
    const issuers = of('Issuer') as IssuerResource[];
    const certs = of('Certificate') as CertificateResource[];

    // Domains first: routing must not wait for certificate work.
    const servers = domains.flatMap(domainServers);
    const syncCall = await callSafely('manifest server sync', () => deps.ops.syncSource('manifest', servers));
    const healthCache = new Map<string, Promise<HostHealth>>();
    const healthOf = (host: string): Promise<HostHealth> => {
      let h = healthCache.get(host);
      if (!h) {
        h = deps.ops.health(host).then(
          (list) => ({ host, servers: list }),
          (err: unknown) => ({ host, error: (err as Error).message }),
        );
        healthCache.set(host, h);
      }
      return h;
    };
    for (const d of domains) {
      const key = keyOf(d);
      const gen = next.get(key)!.generation;
      if (syncCall.error !== undefined) {
        set(key, { type: 'Ready', status: 'False', reason: 'SyncFailed', message: syncCall.error, observedGeneration: gen });
      } else {
        const rejected = syncCall.value!.rejected.filter((r) => r.server.source === domainSource(d.metadata.name));
        const health = rejected.length > 0 ? [] : await Promise.all(d.spec.hosts.map(healthOf));
        set(key, domainReady(d, gen, { rejected, health }));
      }
    }

    // Issuers.
    const issuerCall = deps.issuers ? await callSafely('issuer registry sync', () => deps.issuers!.sync(issuers, pushIssuerReport)) : undefined;
    for (const i of issuers) {
      const key = keyOf(i);
      const entry = next.get(key)!;
      const gen = entry.generation;
      if (!deps.issuers) set(key, { type: 'Ready', status: 'Unknown', reason: 'NoIssuerRegistry', message: 'this operator runs without the ACME module', observedGeneration: gen });
      else if (issuerCall?.error) set(key, { type: 'Ready', status: 'False', reason: 'RegistryError', message: issuerCall.error, observedGeneration: gen });
      else {
        const report = (issuerCall?.value ?? undefined)?.find((r) => r.name === i.metadata.name);
        set(key, fromReport(report, entry, { type: 'Ready', status: 'True', reason: 'Registered', message: `ACME account for ${i.spec.acme.email}`, observedGeneration: gen }));
      }
    }

    // Certificates.
    const issuerNames = new Set(issuers.map((i) => i.metadata.name));
    const requests: CertificateRequest[] = [];
    for (const c of certs) {
      const gen = next.get(keyOf(c))!.generation;
      if (!issuerNames.has(c.spec.issuerRef.name)) {
        set(keyOf(c), { type: 'Ready', status: 'False', reason: 'IssuerNotFound', message: `Issuer ${c.spec.issuerRef.name} does not exist`, observedGeneration: gen });
        continue;
      }
      requests.push({ name: c.metadata.name, dnsNames: c.spec.dnsNames, issuerName: c.spec.issuerRef.name, renewBeforeMs: parseDuration(c.spec.renewBefore ?? '720h'), generation: gen });
    }
    const certCall = deps.certs ? await callSafely('certificate ensure', () => deps.certs!.ensure(requests, pushCertificateReport)) : undefined;
    for (const req of requests) {
      const key = resourceKey('Certificate', req.name);
      const entry = next.get(key)!;
      if (!deps.certs) set(key, { type: 'Ready', status: 'Unknown', reason: 'NoCertificateManager', message: 'this operator runs without the ACME module', observedGeneration: req.generation });
      else if (certCall?.error) set(key, { type: 'Ready', status: 'False', reason: 'EnsureFailed', message: certCall.error, observedGeneration: req.generation });
      else {
        const report = (certCall?.value ?? undefined)?.find((r) => r.name === req.name);
        set(key, fromReport(report, entry, { type: 'Ready', status: 'Unknown', reason: 'Pending', message: 'waiting for the certificate to be issued', observedGeneration: req.generation }));
      }
    }

    // A Domain's CertificateReady mirrors its Certificate's Ready.
    for (const d of domains) {
      const key = keyOf(d);
      const entry = next.get(key)!;
      const ref = d.spec.tls?.certificateRef.name;
      if (ref) {
        const certEntry = next.get(resourceKey('Certificate', ref));
        const uncovered = uncoveredOf(d);
        set(key, domainCertificateReady(ref, entry.generation, { exists: certEntry !== undefined, ready: certEntry && getCondition(certEntry.conditions, 'Ready'), uncovered }));
        if (uncovered.length > 0) set(key, domainNotCovered(ref, entry.generation, uncovered));
      } else entry.conditions = entry.conditions.filter((c) => c.type !== 'CertificateReady');
    }

    for (const [key, list] of invalid) {
      set(key, {
        type: 'Ready',
        status: 'False',
        reason: 'InvalidManifest',
        message: `${list.map(formatProblem).join('; ')}; the last valid version stays applied`,
        observedGeneration: next.get(key)!.generation,
      });
    }
    status = next;
    await persist();
    log.debug({ why, resources: current.size, problems: problems.length }, 'resources reconciled');
    return { resources: current.size, problems, sync: syncCall.value };
  }

  async function persist(): Promise<void> {
    const text = renderStatus(status);
    if (text === lastWritten) return;
    try {
      await writeStatus(deps.stateDir, text);
      lastWritten = text;
    } catch (err) {
      log.error({ err }, 'cannot write resources status');
    }
  }

  function reportCondition(kind: Kind, name: string, r: Omit<ResourceReport, 'name'> & { type?: string }): Promise<void> {
    return exclusive(async () => {
      const key = resourceKey(kind, name);
      const entry = status.get(key);
      if (!entry || !current.has(key)) throw new NotFoundError(`${key} not found`);
      const cond: ConditionInput = { type: r.type ?? 'Ready', status: r.status, reason: r.reason, message: r.message, observedGeneration: entry.generation };
      entry.conditions = setCondition(entry.conditions, cond, clock());
      if (kind === 'Certificate' && cond.type === 'Ready') {
        for (const d of current.values()) {
          const res = d.resource;
          if (res.kind !== 'Domain' || res.spec.tls?.certificateRef.name !== name) continue;
          const de = status.get(keyOf(res));
          if (de) de.conditions = setCondition(de.conditions, domainCertificateReady(name, de.generation, { exists: true, ready: cond, uncovered: uncoveredOf(res) }), clock());
        }
      }
      await persist();
    });
  }

  /** The hosts of `d` its Certificate resource does not cover (none when that Certificate is absent). */
  function uncoveredOf(d: DomainResource): string[] {
    const ref = d.spec.tls?.certificateRef.name;
    const cert = ref ? current.get(resourceKey('Certificate', ref))?.resource : undefined;
    return cert?.kind === 'Certificate' ? uncoveredHosts(d.spec.hosts, cert.spec.dnsNames) : [];
  }

  function pushCertificateReport(r: ResourceReport): void {
    reportCondition('Certificate', r.name, r).catch((err: unknown) => log.warn({ err, certificate: r.name }, 'certificate report not applied'));
  }

  /** An Issuer's outcome arrived: apply it, then reconcile so its Certificates are ordered. */
  function pushIssuerReport(r: ResourceReport): void {
    reportCondition('Issuer', r.name, r)
      .then(() => requestReconcile(`Issuer ${r.name}: ${r.reason}`))
      .catch((err: unknown) => log.warn({ err, issuer: r.name }, 'issuer report not applied'));
  }

  function requestReconcile(why: string): void {
    if (queued) return;
    queued = true;
    exclusive(async () => {
      queued = false;
      await doReconcile(why);
    }).catch((err: unknown) => log.error({ err }, 'resources reconcile failed'));
  }

  function view(e: LoadedResource): ResourceView {
    const r = e.resource;
    const entry = status.get(keyOf(r));
    const generation = entry?.generation ?? r.metadata.generation ?? 1;
    const metadata: ResourceView['metadata'] = {
      name: r.metadata.name,
      generation,
      creationTimestamp: entry?.createdAt ?? clock().toISOString(),
      annotations: { ...(r.metadata.annotations ?? {}), [SOURCE_FILE_ANNOTATION]: e.file },
    };
    if (r.metadata.labels) metadata.labels = r.metadata.labels;
    return { apiVersion: GROUP_VERSION, kind: r.kind, metadata, spec: r.spec, status: { observedGeneration: generation, conditions: entry?.conditions ?? [] } };
  }

  /** What the edit would do to routing: the plan, and each Domain whose hosts would be refused (capacity, shared pool). */
  async function dryRunPlan(overlay: Resource[], removed: Set<string>): Promise<{ plan: PlanStep[]; notRouted: Map<string, string> }> {
    const byKey = new Map([...current.values()].map((e) => [keyOf(e.resource), e.resource]));
    for (const key of removed) byKey.delete(key);
    for (const r of overlay) byKey.set(keyOf(r), r);
    const domains = [...byKey.values()].filter((r): r is DomainResource => r.kind === 'Domain');
    const result = await deps.ops.syncSource('manifest', domains.flatMap(domainServers), { dryRun: true });
    const notRouted = new Map<string, string>();
    for (const r of result.rejected) {
      const name = r.server.source.slice(domainSource('').length);
      if (!notRouted.has(name)) notRouted.set(name, r.reason);
    }
    return { plan: result.plan, notRouted };
  }

  async function runEdit(plan: EditPlan, dryRun: boolean, overlay: Resource[], removed: Set<string>): Promise<ApplyResult> {
    if (plan.problems.length > 0) return { ok: false, dryRun, problems: plan.problems, items: [] };
    if (dryRun) {
      const routing = await dryRunPlan(overlay, removed);
      const items = plan.items.map((i) => {
        const why = i.kind === 'Domain' && i.action !== 'deleted' ? routing.notRouted.get(i.name) : undefined;
        return why ? { ...i, notRouted: why } : i;
      });
      return { ok: true, dryRun, problems: [], items, plan: routing.plan };
    }
    await commitEdits(plan.edits);
    await doReconcile('apply');
    return { ok: true, dryRun, problems: [], items: plan.items };
  }

  return {
    async start() {
      await mkdir(deps.dir, { recursive: true });
      await mkdir(deps.stateDir, { recursive: true });
      const read = await readStatus(deps.stateDir);
      if (read.warning) log.warn(read.warning);
      status = read.entries;
      await exclusive(() => doReconcile('start'));
      watcher = watchDirectory({ dir: deps.dir, logger: log, onChange: requestReconcile, debounceMs: deps.debounceMs, resyncMs: deps.resyncMs });
    },
    async stop() {
      watcher?.stop();
      watcher = undefined;
      await chain;
    },
    reconcile: (why = 'requested') => exclusive(() => doReconcile(why)),
    list: (kind) =>
      [...current.values()]
        .filter((e) => e.resource.kind === kind)
        .sort((a, b) => a.resource.metadata.name.localeCompare(b.resource.metadata.name))
        .map(view),
    get(kind, name) {
      const e = current.get(resourceKey(kind, name));
      return e ? view(e) : undefined;
    },
    problems: () => [...problems],
    applyDocuments: (text, opts = {}) =>
      exclusive(async () => {
        const disk = await loadDirectory(deps.dir);
        const plan = await planApply(text, deps.dir, disk.resources);
        return runEdit(plan, opts.dryRun ?? false, plan.resources ?? [], new Set());
      }),
    deleteDocuments: (text, opts = {}) =>
      exclusive(async () => {
        const disk = await loadDirectory(deps.dir);
        const plan = await planDelete(text, disk.resources);
        const removed = new Set(plan.items.map((i) => resourceKey(i.kind, i.name)));
        return runEdit(plan, opts.dryRun ?? false, [], removed);
      }),
    report: reportCondition,
  };
}
