/**
 * @module The operations layer: parses input once (unless its caller did,
 * through `parsed`), edits the desired state (pure mutations), then asks
 * the reconcile runner for a pass and awaits it,
 * so a call returns once its change is saved and live in HAProxy. It never
 * observes or applies itself: that is the runner's job alone.
 */
import type { Logger } from 'pino';
import { Hostname } from '../model/names.ts';
import { MUTATIONS, operationInputs } from '../model/operations.ts';
import type { Capacity, DesiredState } from '../model/state.ts';
import { parseOrThrow } from '../model/zod-errors.ts';
import { NotFoundError } from '../model/errors.ts';
import { effectiveHold } from '../model/hold.ts';
import { describeRules } from '../model/rules.ts';
import type { HaproxyAdapter } from '../model/haproxy.ts';
import type { Action } from '../model/plan.ts';
import type { Runner } from '../reconcile/runner.ts';
import * as m from './mutations.ts';
import { syncSource as planSync, type SlotMemory } from './sync-source.ts';
import type { ChangeResult, Mutations, Operations, ParsedOperations, PlanStep, SyncResult } from './types.ts';
import { domainHealth, domainView, listDomainViews } from './views.ts';
import { describeAction, describeDrift } from './describe.ts';
import { describeChanges, logChanges } from './change-log.ts';
import { currentActor } from './actor.ts';

export interface OperationsDeps {
  runner: Runner;
  /** Reads for health, and the command text of planned actions. */
  haproxy: Pick<HaproxyAdapter, 'stats' | 'commandOf'>;
  capacity: Capacity;
  logger: Logger;
  now?: () => Date;
}

export function createOperations(deps: OperationsDeps): Operations {
  const { runner, haproxy, capacity, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const slotMemory: SlotMemory = new Map();
  const state = () => runner.desired();
  const inputs = operationInputs(capacity.slots);

  /** Display names of sources (container:<id> -> name), as the watcher last reported them, for the change log. */
  const sourceNames = new Map<string, string>();

  const steps = (actions: readonly Action[]): PlanStep[] => actions.map((a) => ({ description: describeAction(a), command: haproxy.commandOf(a) }));

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

  /**
   * Edits the desired state and awaits the runner's pass that saves and
   * applies it. A change made while HAProxy is unreachable (restarting, or
   * an external one being upgraded) is saved and applied by the restore that
   * follows its return. A dry run needs HAProxy: its plan is read from the
   * live state.
   */
  async function commit(
    edit: (s: DesiredState) => DesiredState,
    describe: (before: DesiredState, after: DesiredState) => string,
    dryRun: boolean,
    domain?: string,
  ): Promise<ChangeResult> {
    const result = (after: DesiredState, plan: PlanStep[], text: string): ChangeResult => {
      const spec = domain ? after.domains[domain] : undefined;
      return { dryRun, summary: text, plan, ...(spec ? { domain: domainView(domain!, spec) } : {}) };
    };
    try {
      if (dryRun) {
        const before = state();
        const after = edit(before);
        return result(after, steps(await runner.preview(after)), `dry run: ${describe(before, after)}`);
      }
      const actor = currentActor();
      const change = runner.change(edit);
      const summary = describe(change.before, change.after);
      const changes = describeChanges(change.before, change.after);
      const log = (text: string, level: 'info' | 'warn' = 'info') => logChanges(logger, changes, { result: text, names: sourceNames, ...(actor ? { actor } : {}) }, level);
      let outcome;
      try {
        outcome = await change.done;
      } catch (error) {
        log(`failed: ${(error as Error).message}`, 'warn');
        throw error;
      }
      if (!outcome.applied) {
        log('saved; HAProxy unreachable, applied when it is back', 'warn');
        return { ...result(change.after, [], `${summary} (saved; HAProxy is unreachable, the change is applied when it is back)`), unapplied: true };
      }
      log(`applied (${outcome.actions.length} commands)`);
      return result(change.after, steps(outcome.actions), summary);
    } catch (error) {
      throw withSourceNames(error);
    }
  }

  function actor(by?: string): string {
    return by ?? 'manual';
  }

  /** The mutations on parsed arguments: the MCP tools call these directly, everyone else through `validating`. */
  const parsed: ParsedOperations = {
    addDomain: (input) =>
      commit(
        (s) => m.addDomain(s, capacity, input),
        (_, after) => {
          const d = after.domains[input.domain]!;
          const names = domainView(input.domain, d).servers.map((s) => `${s.name} ${s.address}:${s.port}`);
          return `added ${input.domain} -> pool_${d.pool} (${names.join(', ')})`;
        },
        input.dryRun,
        input.domain,
      ),

    removeDomain: (input) => commit((s) => m.removeDomain(s, input.domain), (before) => `removed ${input.domain} (pool_${before.domains[input.domain]!.pool} freed)`, input.dryRun),

    addServer: (input) =>
      commit(
        (s) => m.addServer(s, capacity, input),
        (_, after) => {
          const d = after.domains[input.domain]!;
          const name = domainView(input.domain, d).servers.find((s) => s.slot === input.slot && s.family === input.family)!.name;
          return `server ${name} (pool_${d.pool}) -> ${input.ip}:${input.port}`;
        },
        input.dryRun,
        input.domain,
      ),

    removeServer: (input) =>
      commit((s) => m.removeServer(s, capacity, input), () => `removed slot ${input.slot}${input.family ? ` (${input.family})` : ''} of ${input.domain}`, input.dryRun, input.domain),

    setServerState: (input) =>
      commit((s) => m.setServerState(s, capacity, input, input.state, actor(input.by), now().toISOString()), () => `slot ${input.slot} of ${input.domain} -> ${input.state}`, input.dryRun, input.domain),

    setServerWeight: (input) =>
      commit((s) => m.setServerWeight(s, capacity, input, input.weight, actor(input.by), now().toISOString()), () => `slot ${input.slot} of ${input.domain} weight -> ${input.weight}`, input.dryRun, input.domain),

    clearOverride: (input) => commit((s) => m.clearOverride(s, capacity, input), () => `cleared overrides on slot ${input.slot} of ${input.domain}`, input.dryRun, input.domain),

    setHold: (input) =>
      commit(
        (s) => m.setHold(s, input.domain, input.holdMs),
        (_, after) => `hold of ${input.domain} -> ${input.holdMs === null ? `back to ${effectiveHold(after.domains[input.domain]!)} ms (source or default)` : `${input.holdMs} ms`}`,
        input.dryRun,
        input.domain,
      ),

    setRules: (input) =>
      commit(
        (s) => m.setRules(s, input.domain, input.rules),
        () => `rules of ${input.domain} -> ${input.rules === null ? 'back to its source' : describeRules(input.rules).join('; ') || 'none'}`,
        input.dryRun,
        input.domain,
      ),

    async health(domain) {
      const spec = state().domains[domain];
      if (!spec) throw new NotFoundError(`domain=${JSON.stringify(domain)}: no such domain`);
      return domainHealth(domainView(domain, spec), await haproxy.stats());
    },
  };

  /** Each mutation parsing its (unvalidated) input once, then running on the parsed arguments. */
  const validating = Object.fromEntries(
    MUTATIONS.map((name) => [name, async (raw: unknown) => (parsed[name] as (args: unknown) => Promise<ChangeResult>)(parseOrThrow(inputs[name], raw))]),
  ) as Mutations;

  const ops: Operations = {
    ...validating,
    parsed,
    listDomains: () => listDomainViews(state()),
    getDomain: (domain) => {
      const spec = state().domains[domain];
      return spec ? domainView(domain, spec) : undefined;
    },
    snapshot: () => structuredClone(state()),

    async addServers(raws, opts) {
      // All or nothing: every server is validated and placed on a copy in one change.
      const servers = raws.map((raw, i) => parseOrThrow(inputs.server, raw, `servers.${i}`));
      const domains = [...new Set(servers.map((i) => i.domain))];
      return commit(
        (s) => servers.reduce((next, input) => m.addServer(next, capacity, input), s),
        () => `${opts?.why ?? 'set'} ${servers.length} server(s) of ${domains.join(', ')}`,
        opts?.dryRun ?? false,
      );
    },

    health: async (rawDomain) => parsed.health(parseOrThrow(Hostname, rawDomain, 'domain')),

    async syncSource(kind, servers, opts): Promise<SyncResult> {
      for (const [source, name] of Object.entries(opts?.names ?? {})) sourceNames.set(source, name);
      const before = state();
      const outcome = planSync(before, capacity, kind, servers, opts?.dryRun ? new Map(slotMemory) : slotMemory);
      if (JSON.stringify(outcome.state) === JSON.stringify(before)) {
        if (!runner.behind() || opts?.dryRun) return { changed: false, plan: [], rejected: outcome.rejected };
        // HAProxy missed an earlier change (issue 22): a source re-sending the same set catches it up now, not at the periodic restore.
        return { changed: false, plan: steps((await runner.resync()).actions), rejected: outcome.rejected };
      }
      // Replayed on another state only when an earlier burst failed to save.
      const edit = (s: DesiredState) => (s === before ? outcome.state : planSync(s, capacity, kind, servers, slotMemory).state);
      const result = await commit(edit, () => `${kind} sync: ${servers.length} servers`, opts?.dryRun ?? false);
      // Names of sources that own nothing any more and were not reported now are not needed again.
      const owners = new Set(Object.values(state().domains).flatMap((d) => d.servers.map((sv) => sv.source)));
      for (const source of sourceNames.keys()) if (!owners.has(source) && !opts?.names?.[source]) sourceNames.delete(source);
      return { changed: true, plan: result.plan, rejected: outcome.rejected, ...(result.unapplied ? { unapplied: true as const } : {}) };
    },

    /**
     * A full pass. On a resync (`drift`) anything to do means HAProxy was
     * changed behind the operator's back: say what differed, at warn.
     */
    async restore(opts) {
      const started = performance.now();
      const { actions, observed } = await runner.resync();
      if (actions.length > 0 && opts?.drift && observed) {
        const differed = actions.map((a) => describeDrift(a, observed));
        logger.warn({ differed, commands: actions.length }, `drift repaired: ${differed.slice(0, 10).join('; ')}${differed.length > 10 ? `; and ${differed.length - 10} more` : ''}`);
      } else if (actions.length > 0) logger.info({ commands: actions.length, ms: Math.round(performance.now() - started) }, 'haproxy state restored');
      return steps(actions);
    },

    loadCert: (load) => runner.loadCert(load),
  };

  return ops;
}
