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
import { describeAction, describeDrift } from './describe.ts';
import { describeChanges, logChanges } from './change-log.ts';
import { currentActor } from './actor.ts';
import type { ObservedState } from '../reconcile/plan.ts';

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
  const ServerInput = z.object({
    domain: DomainArg,
    slot: SlotArg(capacity.slots),
    family: Family.default('http'),
    ip: IpAddress,
    port: Port,
    weight: Weight.default(1),
    state: ServerState.default('ready'),
    check: CheckPath.optional(),
    source: Provenance.default('manual'),
  });
  let queue: Promise<unknown> = Promise.resolve();
  const slotMemory: SlotMemory = new Map();
  /** Display names of sources (container:<id> -> name), as the watcher last reported them, for the change log. */
  const sourceNames = new Map<string, string>();
  /**
   * Issue 22: `state` is saved before HAProxy is told, so when the apply
   * fails (HAProxy unreachable, a refused command) HAProxy is behind the
   * saved state. A source re-sending the same set then found "no change" and
   * the server stayed unrouted until the periodic restore (~30 s). While this
   * is set, syncSource reconciles every pool instead of returning early.
   */
  let behind = false;

  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next.catch((error: unknown) => {
      throw withSourceNames(error);
    });
  }

  /** `belongs to container:<64 hex>` reads `belongs to container web-1 (<12 hex>)` when the watcher named it. */
  function withSourceNames(error: unknown): unknown {
    if (error instanceof Error) {
      error.message = error.message.replace(/container:([0-9a-f]{12,64})/g, (whole, id: string) => {
        const name = sourceNames.get(whole);
        return name ? `container ${name} (${id.slice(0, 12)})` : whole;
      });
    }
    return error;
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

  async function planFor(next: DesiredState, backends?: string[]): Promise<{ actions: Action[]; steps: PlanStep[]; observed: ObservedState }> {
    const observed = await observe(runtime, files, backends);
    const actions = plan(next, observed);
    return { actions, observed, steps: actions.map((a) => ({ description: describeAction(a), command: actionToCommand(a, files) })) };
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
    const changes = describeChanges(state, next);
    const actor = currentActor();
    const log = (result: string, level: 'info' | 'warn' = 'info') => logChanges(logger, changes, { result, names: sourceNames, ...(actor ? { actor } : {}) }, level);
    await store.save(next);
    state = next;
    let steps: PlanStep[];
    try {
      steps = (await planFor(next, backends)).steps;
    } catch (error) {
      behind = true;
      if (!isUnreachable(error)) {
        log(`failed: ${(error as Error).message}`, 'warn');
        throw error;
      }
      log('saved; HAProxy unreachable, applied when it is back', 'warn');
      return { ...result([], `${summary} (saved; HAProxy is unreachable, the change is applied when it is back)`), unapplied: true };
    }
    try {
      await apply(steps);
    } catch (error) {
      behind = true;
      log(`saved, HAProxy refused: ${(error as Error).message}`, 'warn');
      throw error;
    }
    log(`applied (${steps.length} commands)`);
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
        const input = parseOrThrow(ServerInput.extend({ dryRun: z.boolean().default(false) }), raw);
        const next = m.addServer(state, capacity, input);
        const pool = next.domains[input.domain]!.pool;
        const name = domainView(input.domain, next.domains[input.domain]!).servers.find((s) => s.slot === input.slot && s.family === input.family)!.name;
        return commit(next, `server ${name} (pool_${pool}) -> ${input.ip}:${input.port}`, input.dryRun, input.domain);
      }),

    addServers: (raws, opts) =>
      serial(async () => {
        // All or nothing: every server is validated and placed on a copy before one commit.
        const inputs = raws.map((raw, i) => parseOrThrow(ServerInput, raw, `servers.${i}`));
        let next = state;
        for (const input of inputs) next = m.addServer(next, capacity, input);
        const domains = [...new Set(inputs.map((i) => i.domain))];
        return commit(next, `${opts?.why ?? 'set'} ${inputs.length} server(s) of ${domains.join(', ')}`, opts?.dryRun ?? false);
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
        for (const [source, name] of Object.entries(opts?.names ?? {})) sourceNames.set(source, name);
        const memory = opts?.dryRun ? new Map(slotMemory) : slotMemory;
        const outcome = planSync(state, capacity, kind, servers, memory);
        if (JSON.stringify(outcome.state) === JSON.stringify(state)) {
          if (!behind || opts?.dryRun) return { changed: false, plan: [], rejected: outcome.rejected };
          // HAProxy missed an earlier change (see `behind`): catch up now, not at the periodic restore.
          return { changed: false, plan: await reconcileAll(false), rejected: outcome.rejected };
        }
        const result = await commit(outcome.state, `${kind} sync: ${servers.length} servers`, opts?.dryRun ?? false);
        // Names of sources that own nothing any more and were not reported now are not needed again.
        const owners = new Set(Object.values(state.domains).flatMap((d) => d.servers.map((sv) => sv.source)));
        for (const source of sourceNames.keys()) if (!owners.has(source) && !opts?.names?.[source]) sourceNames.delete(source);
        return { changed: true, plan: result.plan, rejected: outcome.rejected, ...(result.unapplied ? { unapplied: true } : {}) };
      }),

    restore: (opts) => serial(() => reconcileAll(opts?.drift ?? false)),
  };

  /**
   * Full reconcile of every pool: after HAProxy (re)starts or on a periodic
   * resync. On a resync (`drift`) anything to do means HAProxy was changed
   * behind the operator's back: say what differed, at warn.
   */
  async function reconcileAll(drift: boolean): Promise<PlanStep[]> {
    const { steps, actions, observed } = await planFor(state);
    await apply(steps);
    behind = false;
    if (steps.length > 0 && drift) {
      const differed = actions.map((a) => describeDrift(a, observed));
      logger.warn({ differed, commands: steps.length }, `drift repaired: ${differed.slice(0, 10).join('; ')}${differed.length > 10 ? `; and ${differed.length - 10} more` : ''}`);
    } else if (steps.length > 0) logger.info({ commands: steps.length }, 'haproxy state restored');
    return steps;
  }

  return ops;
}
