/**
 * @module The operations layer: validates input, edits the desired state
 * (pure mutations), persists it, and reconciles HAProxy to it. One queue:
 * every change runs alone, so servers.json, domains.map and HAProxy's live
 * state never disagree about the order of changes.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { CheckPath, Family, Hostname, IpAddress, Port, Provenance, ServerState, Weight, wholeNumber } from '../model/names.ts';
import type { Capacity, DesiredState } from '../model/state.ts';
import { backendName } from '../model/state.ts';
import { parseOrThrow } from '../model/zod-errors.ts';
import { HoldMs, effectiveHold } from '../model/hold.ts';
import { NotFoundError, RuntimeCommandError } from '../model/errors.ts';
import { plan } from '../reconcile/plan.ts';
import { actionToCommand, observe, type MapFiles } from '../haproxy/adapter.ts';
import { commands } from '../haproxy/commands.ts';
import { parseShowStat } from '../haproxy/parsers/show-stat.ts';
import type { RuntimeClient } from '../haproxy/runtime-client.ts';
import type { StateStore } from '../store/state-store.ts';
import * as m from './mutations.ts';
import { syncSource as planSync, type SlotMemory } from './sync-source.ts';
import type { ChangeResult, Operations, PlanStep, ServerHealth, SyncResult } from './types.ts';
import { domainView, listDomainViews } from './views.ts';
import type { Action } from '../model/plan.ts';
import { describeAction } from './describe.ts';

export interface OperationsDeps {
  store: StateStore;
  runtime: RuntimeClient;
  capacity: Capacity;
  files: MapFiles;
  initialState: DesiredState;
  logger: Logger;
  now?: () => Date;
  /** Called after each successful reconcile, for metrics. */
  onReconcile?: (info: { durationMs: number; commands: number; error?: Error }) => void;
}

const DomainArg = Hostname;
const SlotArg = (slots: number) => wholeNumber(`not a slot (1-${slots})`, 1, slots);

/** A connection-level failure (no HAProxy reply), as opposed to HAProxy refusing a command. */
function isUnreachable(error: unknown): boolean {
  return error instanceof RuntimeCommandError && error.command === undefined;
}

export function createOperations(deps: OperationsDeps): Operations {
  const { store, runtime, capacity, files, logger } = deps;
  const now = deps.now ?? (() => new Date());
  let state = deps.initialState;
  let queue: Promise<unknown> = Promise.resolve();
  const slotMemory: SlotMemory = new Map();

  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next;
  }

  function changedBackends(before: DesiredState, after: DesiredState): string[] {
    const pools = new Set<number>();
    const hosts = new Set([...Object.keys(before.domains), ...Object.keys(after.domains)]);
    for (const h of hosts) {
      const a = before.domains[h];
      const b = after.domains[h];
      if (JSON.stringify(a) === JSON.stringify(b)) continue;
      if (a) pools.add(a.pool);
      if (b) pools.add(b.pool);
    }
    return [...pools].flatMap((p) => (['http', 'ssl', 'h3'] as const).map((f) => backendName(p, f)));
  }

  async function planFor(next: DesiredState, backends?: string[]): Promise<{ actions: Action[]; steps: PlanStep[] }> {
    const observed = await observe(runtime, files, backends);
    const actions = plan(next, observed);
    return { actions, steps: actions.map((a) => ({ description: describeAction(a), command: actionToCommand(a, files) })) };
  }

  async function apply(steps: PlanStep[]): Promise<void> {
    const started = performance.now();
    try {
      if (steps.length > 0) await runtime.apply(steps.map((s) => s.command));
      deps.onReconcile?.({ durationMs: performance.now() - started, commands: steps.length });
    } catch (error) {
      deps.onReconcile?.({ durationMs: performance.now() - started, commands: steps.length, error: error as Error });
      throw error;
    }
  }

  /**
   * Persist, then reconcile the changed pools. Disk is written first, so a
   * change made while HAProxy is unreachable (restarting, or an external one
   * being upgraded) is kept and applied by the restore that follows its
   * return. A dry run needs HAProxy: its plan is read from the live state.
   */
  async function commit(next: DesiredState, summary: string, dryRun: boolean, domain?: string): Promise<ChangeResult> {
    const view = domain && next.domains[domain] ? domainView(domain, next.domains[domain]!) : undefined;
    const result = (steps: PlanStep[], text: string): ChangeResult => ({ dryRun, summary: text, plan: steps, ...(view ? { domain: view } : {}) });
    if (dryRun) return result((await planFor(next, changedBackends(state, next))).steps, `dry run: ${summary}`);
    const backends = changedBackends(state, next);
    await store.save(next);
    state = next;
    let steps: PlanStep[];
    try {
      steps = (await planFor(next, backends)).steps;
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      logger.warn({ summary, err: (error as Error).message }, 'haproxy unreachable: change saved, applied when it is back');
      return result([], `${summary} (saved; HAProxy is unreachable, the change is applied when it is back)`);
    }
    await apply(steps);
    logger.info({ summary, commands: steps.length }, 'change applied');
    return result(steps, summary);
  }

  function actor(by?: string): string {
    return by ?? 'manual';
  }

  const ops: Operations = {
    listDomains: () => listDomainViews(state),
    getDomain: (domain) => (state.domains[domain] ? domainView(domain, state.domains[domain]!) : undefined),
    snapshot: () => structuredClone(state),

    addDomain: (raw) =>
      serial(async () => {
        const input = parseOrThrow(z.object({ domain: DomainArg, ip: IpAddress, port: Port.optional(), source: Provenance.default('manual'), dryRun: z.boolean().default(false) }), raw);
        const next = m.addDomain(state, capacity, input);
        const d = next.domains[input.domain]!;
        const names = domainView(input.domain, d).servers.map((s) => `${s.name} ${s.address}:${s.port}`);
        return commit(next, `added ${input.domain} -> pool_${d.pool} (${names.join(', ')})`, input.dryRun, input.domain);
      }),

    removeDomain: (raw) =>
      serial(async () => {
        const input = parseOrThrow(z.object({ domain: DomainArg, dryRun: z.boolean().default(false) }), raw);
        const next = m.removeDomain(state, input.domain);
        return commit(next, `removed ${input.domain} (pool_${state.domains[input.domain]!.pool} freed)`, input.dryRun);
      }),

    addServer: (raw) =>
      serial(async () => {
        const input = parseOrThrow(
          z.object({
            domain: DomainArg,
            slot: SlotArg(capacity.slots),
            family: Family.default('http'),
            ip: IpAddress,
            port: Port,
            weight: Weight.default(1),
            state: ServerState.default('ready'),
            check: CheckPath.optional(),
            source: Provenance.default('manual'),
            dryRun: z.boolean().default(false),
          }),
          raw,
        );
        const next = m.addServer(state, capacity, input);
        const pool = next.domains[input.domain]!.pool;
        const name = domainView(input.domain, next.domains[input.domain]!).servers.find((s) => s.slot === input.slot && s.family === input.family)!.name;
        return commit(next, `server ${name} (pool_${pool}) -> ${input.ip}:${input.port}`, input.dryRun, input.domain);
      }),

    removeServer: (raw) =>
      serial(async () => {
        const input = parseOrThrow(z.object({ domain: DomainArg, slot: SlotArg(capacity.slots), family: Family.optional(), dryRun: z.boolean().default(false) }), raw);
        const next = m.removeServer(state, capacity, input);
        return commit(next, `removed slot ${input.slot}${input.family ? ` (${input.family})` : ''} of ${input.domain}`, input.dryRun, input.domain);
      }),

    setServerState: (raw) =>
      serial(async () => {
        const input = parseOrThrow(z.object({ domain: DomainArg, slot: SlotArg(capacity.slots), family: Family.optional(), state: ServerState, by: z.string().max(200).optional(), dryRun: z.boolean().default(false) }), raw);
        const next = m.setServerState(state, capacity, input, input.state, actor(input.by), now().toISOString());
        return commit(next, `slot ${input.slot} of ${input.domain} -> ${input.state}`, input.dryRun, input.domain);
      }),

    setServerWeight: (raw) =>
      serial(async () => {
        const input = parseOrThrow(z.object({ domain: DomainArg, slot: SlotArg(capacity.slots), family: Family.optional(), weight: Weight, by: z.string().max(200).optional(), dryRun: z.boolean().default(false) }), raw);
        const next = m.setServerWeight(state, capacity, input, input.weight, actor(input.by), now().toISOString());
        return commit(next, `slot ${input.slot} of ${input.domain} weight -> ${input.weight}`, input.dryRun, input.domain);
      }),

    clearOverride: (raw) =>
      serial(async () => {
        const input = parseOrThrow(z.object({ domain: DomainArg, slot: SlotArg(capacity.slots), family: Family.optional(), dryRun: z.boolean().default(false) }), raw);
        const next = m.clearOverride(state, capacity, input);
        return commit(next, `cleared overrides on slot ${input.slot} of ${input.domain}`, input.dryRun, input.domain);
      }),

    setHold: (raw) =>
      serial(async () => {
        const input = parseOrThrow(z.object({ domain: DomainArg, holdMs: HoldMs.nullable(), dryRun: z.boolean().default(false) }), raw);
        const next = m.setHold(state, input.domain, input.holdMs);
        const what = input.holdMs === null ? `back to ${effectiveHold(next.domains[input.domain]!)} ms (source or default)` : `${input.holdMs} ms`;
        return commit(next, `hold of ${input.domain} -> ${what}`, input.dryRun, input.domain);
      }),

    async health(rawDomain) {
      const domain = parseOrThrow(DomainArg, rawDomain, 'domain');
      const spec = state.domains[domain];
      if (!spec) throw new NotFoundError(`domain=${JSON.stringify(domain)}: no such domain`);
      const [reply] = await runtime.execute([commands.showStat()]);
      const rows = parseShowStat(reply ?? '');
      const view = domainView(domain, spec);
      return view.servers.map((s): ServerHealth => {
        const row = rows.find((r) => r.proxy === s.backend && r.name === s.name);
        return {
          name: s.name,
          backend: s.backend,
          family: s.family,
          slot: s.slot,
          address: s.address,
          port: s.port,
          status: row?.status ?? 'UNKNOWN',
          checkStatus: row?.checkStatus ?? '',
          currentSessions: row?.currentSessions ?? 0,
        };
      });
    },

    syncSource: (kind, servers, opts) =>
      serial(async (): Promise<SyncResult> => {
        const memory = opts?.dryRun ? new Map(slotMemory) : slotMemory;
        const outcome = planSync(state, capacity, kind, servers, memory);
        if (JSON.stringify(outcome.state) === JSON.stringify(state)) return { changed: false, plan: [], rejected: outcome.rejected };
        const result = await commit(outcome.state, `${kind} sync: ${servers.length} servers`, opts?.dryRun ?? false);
        return { changed: true, plan: result.plan, rejected: outcome.rejected };
      }),

    restore: () => serial(() => reconcileAll()),
  };

  /** Full reconcile of every pool: after HAProxy (re)starts or on a periodic resync. */
  async function reconcileAll(): Promise<PlanStep[]> {
    const { steps } = await planFor(state);
    await apply(steps);
    if (steps.length > 0) logger.info({ commands: steps.length }, 'haproxy state restored');
    return steps;
  }

  return ops;
}
