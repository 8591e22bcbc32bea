/**
 * @module The in-process operations API: the one surface that MCP tools, the
 * CLI, the container watcher and the resources call. Every mutating call
 * parses its input once (throwing ValidationError naming field and value,
 * with nothing changed; `parsed` takes input its caller already parsed with
 * the same schemas and does not parse again), edits the desired state and
 * returns once the reconcile pass that includes the change has saved and
 * applied it. With `dryRun: true` it returns the plan and changes nothing.
 * Inputs and results are the zod schemas of model/operations.ts.
 */
import type { DesiredState } from '../model/state.ts';
import type { HaproxyInfo, StatRow } from '../model/haproxy.ts';
import type { CertLoad } from '../model/plan.ts';
import type {
  AddServerInput,
  ChangeResult,
  ConfigCheck,
  DomainView,
  MutationName,
  OperationArgs,
  OperationInput,
  PlanStep,
  ReloadResult,
  RestoreStateResult,
  SavedState,
  ServerHealth,
  SourceServer,
  SyncResult,
} from '../model/operations.ts';

// The shapes are declared once, as zod schemas in model/operations.ts; these names stay for the modules that import them from here.
export type { AddDomainInput, AddServerInput, ChangeResult, DomainView, PlanStep, RestoreStateResult, ServerHealth, ServerRef, ServerView, SourceServer, SyncResult } from '../model/operations.ts';

/**
 * The mutations for callers with unvalidated input (the CLI, the HTTP API,
 * tests, benches): each parses its input once with operationInputs' schema.
 * setHold with holdMs null clears a domain's hold override; clearOverride
 * clears manual overrides on a server owned by a container or manifest.
 */
export type Mutations = { [K in MutationName]: (input: OperationInput<K>) => Promise<ChangeResult> };

/**
 * The same mutations, and health, for arguments already parsed with
 * operationInputs' schemas or schemas derived from them (an MCP tool call,
 * parsed once against its tool schema): nothing is parsed again.
 */
export type ParsedOperations = { [K in MutationName]: (args: OperationArgs<K>) => Promise<ChangeResult> } & {
  health(domain: string): Promise<ServerHealth[]>;
};

export interface Operations extends Mutations {
  listDomains(): DomainView[];
  getDomain(domain: string): DomainView | undefined;
  /** Puts several servers in place in one change: all are applied or, on any error, none. `why` starts the summary. */
  addServers(inputs: Omit<AddServerInput, 'dryRun'>[], opts?: { dryRun?: boolean; why?: string }): Promise<ChangeResult>;
  health(domain: string): Promise<ServerHealth[]>;
  readonly parsed: ParsedOperations;
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

/** Read-only views of HAProxy and process-level actions (reload, state files). */
export interface Admin {
  info(): Promise<HaproxyInfo>;
  stats(): Promise<StatRow[]>;
  /** Validates the rendered/managed config with `haproxy -c`. */
  checkConfig(): Promise<ConfigCheck>;
  /** Validate, reload through the master socket, then restore runtime state. */
  reload(reason: string): Promise<ReloadResult>;
  /** Legacy: writes HAProxy's runtime server state (`show servers state`) to a file in the state dir. */
  saveState(file?: string): Promise<SavedState>;
  /**
   * Legacy: re-applies a saved server-state file to the servers the operator
   * may own (manual, imported); container- and manifest-owned ones are
   * skipped with the reason. All or nothing; a dry run returns the exact commands.
   */
  restoreState(file?: string, opts?: { dryRun?: boolean }): Promise<RestoreStateResult>;
}
