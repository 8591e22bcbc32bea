/**
 * @module The in-process operations API: the one surface that MCP tools, the
 * CLI, the container watcher and the resources call. Every mutating call
 * validates its input (throwing ValidationError naming field and value, with
 * nothing changed), edits the desired state and returns once the reconcile
 * pass that includes the change has saved and applied it. With
 * `dryRun: true` it returns the plan and changes nothing.
 */
import type { DesiredState } from '../model/state.ts';
import type { ServerState } from '../model/names.ts';
import type { HaproxyInfo, StatRow } from '../model/haproxy.ts';
import type { CertLoad } from '../model/plan.ts';
import type { RouteRules } from '../model/rules.ts';
import type { AddDomainInput, AddServerInput, ChangeResult, DomainView, PlanStep, ServerHealth, ServerRef, SourceServer, SyncResult } from '../model/operations.ts';

// The shapes are declared once, as zod schemas in model/operations.ts; these names stay for the modules that import them from here.
export type { AddDomainInput, AddServerInput, ChangeResult, DomainView, PlanStep, ServerHealth, ServerRef, ServerView, SourceServer, SyncResult } from '../model/operations.ts';

export interface Operations {
  listDomains(): DomainView[];
  getDomain(domain: string): DomainView | undefined;
  addDomain(input: AddDomainInput): Promise<ChangeResult>;
  removeDomain(input: { domain: string; dryRun?: boolean }): Promise<ChangeResult>;
  addServer(input: AddServerInput): Promise<ChangeResult>;
  /** Puts several servers in place in one change: all are applied or, on any error, none. `why` starts the summary. */
  addServers(inputs: Omit<AddServerInput, 'dryRun'>[], opts?: { dryRun?: boolean; why?: string }): Promise<ChangeResult>;
  removeServer(input: ServerRef): Promise<ChangeResult>;
  setServerState(input: ServerRef & { state: ServerState; by?: string; dryRun?: boolean }): Promise<ChangeResult>;
  setServerWeight(input: ServerRef & { weight: number; by?: string; dryRun?: boolean }): Promise<ChangeResult>;
  /** Clears manual overrides on a server owned by a container or manifest. */
  clearOverride(input: ServerRef): Promise<ChangeResult>;
  /** Sets (ms) or with null clears a domain's hold override (hold.map, no reload). */
  setHold(input: { domain: string; holdMs: number | null; dryRun?: boolean }): Promise<ChangeResult>;
  /** Sets or with null clears a route's rules override (rule maps, no reload). */
  setRules(input: { domain: string; rules: RouteRules | null; dryRun?: boolean }): Promise<ChangeResult>;
  health(domain: string): Promise<ServerHealth[]>;
  /**
   * Replaces every server whose provenance starts with `kind:` by `servers`.
   * Slots are stable per (source, domain, family); domains are created for
   * hosts that have none and removed when the last server of a domain owned
   * by that kind goes. Manual overrides are kept. `names`: display names of
   * sources for the change log (container:<id> -> container name).
   */
  syncSource(kind: 'container' | 'manifest', servers: SourceServer[], opts?: { dryRun?: boolean; names?: Record<string, string> }): Promise<SyncResult>;
  /** A copy of the desired state. */
  snapshot(): DesiredState;
  /**
   * Reconciles every pool: after HAProxy (re)starts, and as the periodic full
   * resync (`drift: true`: a repair is logged at warn with what differed).
   * Returns the commands sent.
   */
  restore(opts?: { drift?: boolean }): Promise<PlanStep[]>;
  /** Loads a PEM (already written to the certificate directory) into HAProxy, no reload; `created` when HAProxy did not know the file. */
  loadCert(load: CertLoad): Promise<{ created: boolean }>;
}

/** What haproxy_restore_state did (or, with dryRun, would do). */
export interface RestoreStateResult {
  file: string;
  dryRun: boolean;
  summary: string;
  /** Servers set from the file: `pool_1_2 10.0.0.5:80 weight 1 ready`. */
  restored: Array<{ server: string; domain: string; address: string; port: number; weight: number; state: ServerState }>;
  /** Entries left alone, each with why (owned by a container or manifest, no domain on the pool, beyond capacity). */
  skipped: Array<{ server: string; reason: string }>;
  plan: PlanStep[];
}

/** Read-only views of HAProxy and process-level actions (reload, state files). */
export interface Admin {
  info(): Promise<HaproxyInfo>;
  stats(): Promise<StatRow[]>;
  /** Validates the rendered/managed config with `haproxy -c`. */
  checkConfig(): Promise<{ valid: boolean; output: string }>;
  /** Validate, reload through the master socket, then restore runtime state. */
  reload(reason: string): Promise<{ oldPid: number; newPid: number; restoredCommands: number }>;
  /** Legacy: writes HAProxy's runtime server state (`show servers state`) to a file in the state dir. */
  saveState(file?: string): Promise<{ file: string; servers: number }>;
  /**
   * Legacy: re-applies a saved server-state file to the servers the operator
   * may own (manual, imported); container- and manifest-owned ones are
   * skipped with the reason. All or nothing; a dry run returns the exact commands.
   */
  restoreState(file?: string, opts?: { dryRun?: boolean }): Promise<RestoreStateResult>;
}
