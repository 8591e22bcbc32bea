/**
 * @module The reconcile runner: the one place that observes HAProxy, plans
 * and applies. Sources edit the desired state through the operations layer
 * and ask for a pass; requests arriving while a pass runs coalesce into one
 * next pass. A pass first saves the desired state (one save for the whole
 * burst: group commit) while it observes only the backends the burst
 * touched (everything for a resync), then plans and applies. A caller awaits the pass
 * that includes its change, so "applied" is true when it returns.
 */
import { RuntimeCommandError } from '../model/errors.ts';
import type { ObserveScope, ObservedState, ReconcilePort } from '../model/haproxy.ts';
import type { Action, CertLoad } from '../model/plan.ts';
import type { DesiredState } from '../model/state.ts';
import { plan } from './plan.ts';
import { planCerts } from './plan-certs.ts';
import { changeScope, inScope, type ChangeScope } from './scope.ts';
import { applyToObserved, cachedScope } from './observed-cache.ts';

/** What one pass did, for metrics and logs. */
export interface PassReport {
  durationMs: number;
  /** Changes saved together by this pass (group commit). */
  changes: number;
  commands: number;
  full: boolean;
  error?: Error;
}

export interface RunnerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RunnerDeps {
  initial: DesiredState;
  /** Persists the desired state durably; a pass applies nothing it could not save. */
  save(state: DesiredState): Promise<void>;
  haproxy: ReconcilePort;
  log?: RunnerLog;
  onPass?(report: PassReport): void;
}

/** How the pass that carried a request ended. */
export interface PassOutcome {
  /** Actions sent to HAProxy for this request (for a change: those in its scope). */
  actions: Action[];
  /** False when HAProxy was unreachable: the change is saved and the restore after HAProxy is back applies it. */
  applied: boolean;
  /** For a resync: what the pass observed (to say what drifted). */
  observed?: ObservedState;
}

export interface Change {
  before: DesiredState;
  after: DesiredState;
  /** Settles when the pass that includes this change has saved and applied it. */
  done: Promise<PassOutcome>;
}

export interface Runner {
  /** The desired state including changes not yet saved. */
  desired(): DesiredState;
  /** Applies `edit` to the desired state now (throwing what it throws, nothing changed) and asks for a pass. */
  change(edit: (state: DesiredState) => DesiredState): Change;
  /** A pass that observes every backend: after HAProxy (re)starts and as the periodic resync. */
  resync(): Promise<PassOutcome>;
  /** Loads a certificate into HAProxy in the next pass; `created` tells whether HAProxy did not know the file. */
  loadCert(load: CertLoad): Promise<{ created: boolean }>;
  /** The actions that would make HAProxy equal to `next` (a dry run), read in turn with the passes. */
  preview(next: DesiredState): Promise<Action[]>;
  /** Resolves once no pass runs or is queued. */
  idle(): Promise<void>;
  /** True while HAProxy is behind the saved state (a pass saved but could not apply); the next pass observes everything. */
  behind(): boolean;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

interface PendingChange extends Waiter<PassOutcome> {
  edit(state: DesiredState): DesiredState;
  scope: ChangeScope;
}

interface PendingCert extends Waiter<{ created: boolean }> {
  load: CertLoad;
}

interface PendingPreview extends Waiter<Action[]> {
  next: DesiredState;
}

/** A connection-level failure (no HAProxy reply), as opposed to HAProxy refusing a command. */
export function isUnreachable(error: unknown): boolean {
  return error instanceof RuntimeCommandError && error.command === undefined;
}

function deferred<T>(): { promise: Promise<T>; waiter: Waiter<T> } {
  let waiter!: Waiter<T>;
  const promise = new Promise<T>((resolve, reject) => (waiter = { resolve, reject }));
  return { promise, waiter };
}

export function createRunner(deps: RunnerDeps): Runner {
  let committed = deps.initial;
  let current = deps.initial;
  let changes: PendingChange[] = [];
  let resyncs: Array<Waiter<PassOutcome>> = [];
  let certs: PendingCert[] = [];
  let previews: PendingPreview[] = [];
  let running: Promise<void> | undefined;
  /**
   * Issue 22: the state is saved before HAProxy is told, so when an apply
   * fails (HAProxy unreachable, a refused command) HAProxy is behind the
   * saved state. It is what `behind()` reports; the pass itself goes by the
   * cache, which every failure drops, so a pass after one observes everything.
   */
  let behind = false;
  /**
   * What HAProxy holds (observed-cache.ts), valid while the connection that
   * saw it is the same (`epoch`). Without it a pass with changes observes
   * everything and starts a new one; with it a pass asks HAProxy nothing
   * before it applies.
   */
  let cache: { state: ObservedState; epoch: number | undefined } | undefined;
  const epoch = () => deps.haproxy.epoch?.();

  const hasWork = () => changes.length + resyncs.length + certs.length + previews.length > 0;

  function kick(): void {
    running ??= loop().finally(() => {
      running = undefined;
      if (hasWork()) kick();
    });
  }

  async function loop(): Promise<void> {
    while (hasWork()) {
      // One turn of the event loop lets every caller that is ready join this pass.
      await new Promise((r) => setImmediate(r));
      await pass();
    }
  }

  /** The connection changed under a pass: HAProxy may be a new process, so the next pass observes and repairs everything. */
  function stale(): void {
    cache = undefined;
    behind = true;
    resyncs.push({ resolve: () => undefined, reject: () => undefined });
  }

  /** A failed save drops its burst; changes made on top of it are replayed on the saved state (those that no longer apply fail). */
  function rollback(failed: PendingChange[], error: unknown): void {
    current = committed;
    changes = changes.filter((c) => {
      try {
        current = c.edit(current);
        return true;
      } catch (replayError) {
        c.reject(replayError);
        return false;
      }
    });
    for (const c of failed) c.reject(error);
  }

  async function pass(): Promise<void> {
    const started = performance.now();
    const batch = changes;
    const resyncBatch = resyncs;
    const certBatch = certs;
    const previewBatch = previews;
    changes = [];
    resyncs = [];
    certs = [];
    previews = [];
    if (cache && cache.epoch !== epoch()) cache = undefined;
    // Without a cache (the first pass, or behind: every path that sets `behind` drops it) a change observes everything.
    const full = resyncBatch.length > 0 || (!cache && batch.length > 0);
    const known = !full && certBatch.length === 0 ? cache : undefined;
    const touches = full || batch.length > 0 || certBatch.length > 0;
    const scope: ObserveScope = {
      ...(full ? {} : { backends: [...new Set(batch.flatMap((c) => c.scope.backends))] }),
      ...(certBatch.length > 0 ? { crtLists: [...new Set(certBatch.map((c) => c.load.dir))] } : {}),
    };
    // The save (an fsync) and the observe (a Runtime API round trip) do not
    // depend on each other: running them together takes the longer of the
    // two instead of their sum. Nothing is applied before the save succeeded.
    const target = current;
    const [saving, observing] = await Promise.allSettled([
      batch.length > 0 ? deps.save(target) : Promise.resolve(),
      known ? cachedScope(known.state, scope.backends) : touches ? deps.haproxy.observe(scope) : undefined,
    ]);
    // The connection the observed state came from (for a cached one: the connection that saw it).
    const observedOn = known ? known.epoch : epoch();
    let saved = batch;
    if (saving.status === 'fulfilled') committed = target;
    else {
      rollback(batch, saving.reason);
      saved = [];
    }
    let commands = 0;
    let failure: Error | undefined;
    // A failed save leaves nothing to apply, even when the pass observed everything.
    const planning = resyncBatch.length > 0 || saved.length > 0;
    if (planning || certBatch.length > 0) {
      try {
        if (observing.status === 'rejected') throw observing.reason;
        const observed = observing.value!;
        const actions = planning ? plan(committed, observed) : [];
        const before = full ? observed : cache?.state;
        await deps.haproxy.apply(actions);
        commands += actions.length;
        if (epoch() === observedOn) cache = before && { state: applyToObserved(before, actions), epoch: observedOn };
        else stale();
        for (const c of saved) {
          const scopeSets = { hosts: new Set(c.scope.hosts), backends: new Set(c.scope.backends) };
          c.resolve({ actions: actions.filter((a) => inScope(a, scopeSets)), applied: true });
        }
        for (const r of resyncBatch) r.resolve({ actions, applied: true, observed });
        if (full) behind = false;
        commands += await loadCerts(certBatch, observed);
      } catch (error) {
        failure = error as Error;
        cache = undefined;
        if (planning) behind = true;
        const unreachable = isUnreachable(error);
        if (unreachable) deps.log?.warn({ err: failure.message, changes: saved.length }, 'haproxy unreachable: changes saved, applied when it is back');
        for (const c of saved) unreachable ? c.resolve({ actions: [], applied: false }) : c.reject(error);
        for (const w of [...resyncBatch, ...certBatch]) w.reject(error);
      }
    }
    for (const p of previewBatch) {
      try {
        p.resolve(plan(p.next, await deps.haproxy.observe({ backends: changeScope(committed, p.next).backends })));
      } catch (error) {
        p.reject(error);
      }
    }
    if (planning || certBatch.length > 0) {
      deps.onPass?.({ durationMs: performance.now() - started, changes: saved.length, commands, full, ...(failure ? { error: failure } : {}) });
    }
  }

  /** Each certificate on its own: one refused load fails only its caller. */
  async function loadCerts(batch: PendingCert[], observed: ObservedState): Promise<number> {
    let commands = 0;
    for (const c of batch) {
      const actions = planCerts([c.load], observed.certs ?? { loaded: [], crtLists: {} });
      try {
        await deps.haproxy.apply(actions);
        commands += actions.length;
        observed.certs?.loaded.push(c.load.path);
        observed.certs?.crtLists[c.load.dir]?.push(c.load.path);
        c.resolve({ created: actions.some((a) => a.kind === 'newCert') });
      } catch (error) {
        if (isUnreachable(error)) throw error;
        c.reject(error);
      }
    }
    return commands;
  }

  return {
    desired: () => current,
    change(edit) {
      const before = current;
      const after = edit(before);
      current = after;
      const { promise, waiter } = deferred<PassOutcome>();
      changes.push({ ...waiter, edit, scope: changeScope(before, after) });
      kick();
      return { before, after, done: promise };
    },
    resync() {
      const { promise, waiter } = deferred<PassOutcome>();
      resyncs.push(waiter);
      kick();
      return promise;
    },
    loadCert(load) {
      const { promise, waiter } = deferred<{ created: boolean }>();
      certs.push({ ...waiter, load });
      kick();
      return promise;
    },
    preview(next) {
      const { promise, waiter } = deferred<Action[]>();
      previews.push({ ...waiter, next });
      kick();
      return promise;
    },
    async idle() {
      while (running) await running;
    },
    behind: () => behind,
  };
}
