/**
 * @module The resources controller: the resources directory is the desired
 * state. Every trigger (a file event, the periodic rescan, apply/delete, a
 * report from the ACME module) leads to the same level-triggered reconcile:
 * read the whole directory, hand Domains to operations.syncSource('manifest'),
 * Issuers and Certificates to the injected ACME parts, then recompute every
 * resource's conditions and persist them. One reconcile runs at a time.
 * The steps per kind are reconcile-kinds.ts; `get`'s shape is resource-view.ts.
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { setCondition, type ConditionInput } from '../model/conditions.ts';
import { NotFoundError } from '../model/errors.ts';
import { resourceKey, type CertificateResource, type DomainResource, type IssuerResource, type Kind, type Resource } from '../model/resources.ts';
import type { Operations, PlanStep, SyncResult } from '../operations/types.ts';
import type { CertificateManager, IssuerRegistry } from './acme-contract.ts';
import { commitEdits, planApply, planDelete, type ApplyItem, type EditPlan } from './apply.ts';
import { keepLastGood, keyOf, nextGeneration } from './effective.ts';
import { formatProblem, loadDirectory, type LoadedResource, type ManifestProblem } from './load.ts';
import { mirrorCertificateReady, reconcileCertificates, reconcileDomains, reconcileIssuers, uncoveredOf, type Pass } from './reconcile-kinds.ts';
import { resourceView, type ResourceView } from './resource-view.ts';
import { domainCertificateReady, domainServers, domainSource, type ResourceReport } from './status.ts';
import { readStatus, renderStatus, writeStatus, type StatusEntry } from './status-store.ts';
import { watchDirectory, type DirectoryWatch } from './watch.ts';

export type { ResourceReport } from './status.ts';
export type { ResourceView } from './resource-view.ts';

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
    const pass: Pass = { next, set };
    const of = <K extends Kind>(kind: K) =>
      [...current.values()].map((e) => e.resource).filter((r): r is Extract<Resource, { kind: K }> => r.kind === kind);
    const domains = of('Domain') as DomainResource[];
    const issuers = of('Issuer') as IssuerResource[];
    const certs = of('Certificate') as CertificateResource[];

    const syncCall = await reconcileDomains(pass, domains, deps.ops, log);
    await reconcileIssuers(pass, issuers, deps.issuers, pushIssuerReport, log);
    await reconcileCertificates(pass, certs, new Set(issuers.map((i) => i.metadata.name)), deps.certs, pushCertificateReport, log);
    mirrorCertificateReady(pass, domains, resourceOf);

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
          if (de) de.conditions = setCondition(de.conditions, domainCertificateReady(name, de.generation, { exists: true, ready: cond, uncovered: uncoveredOf(res, resourceOf) }), clock());
        }
      }
      await persist();
    });
  }

  const resourceOf = (key: string): Resource | undefined => current.get(key)?.resource;

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

  const view = (e: LoadedResource): ResourceView => resourceView(e, status.get(keyOf(e.resource)), clock());

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
