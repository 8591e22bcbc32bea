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
import type { AddDomainInput, AddServerInput, ChangeResult, DomainView, PlanStep, ServerHealth, ServerRef, SourceServer, SyncResult } from '../model/operations.ts';

// The shapes are declared once, as zod schemas in model/operations.ts; these names stay for the modules that import them from here.
export type { AddDomainInput, AddServerInput, ChangeResult, DomainView, PlanStep, ServerHealth, ServerRef, ServerView, SourceServer, SyncResult } from '../model/operations.ts';

export interface Operations {
  listDomains(): DomainView[];
  getDomain(domain: string): DomainView | undefined;
  addDomain(input: AddDomainInput): Promise<ChangeResult>;
  removeDomain(input: { domain: string; dryRun?: boolean }): Promise<ChangeResult>;
  addServer(input: AddServerInput): Promise<ChangeResult>;
  removeServer(input: ServerRef): Promise<ChangeResult>;
  setServerState(input: ServerRef & { state: ServerState; by?: string; dryRun?: boolean }): Promise<ChangeResult>;
  setServerWeight(input: ServerRef & { weight: number; by?: string; dryRun?: boolean }): Promise<ChangeResult>;
  /** Clears manual overrides on a server owned by a container or manifest. */
  clearOverride(input: ServerRef): Promise<ChangeResult>;
  health(domain: string): Promise<ServerHealth[]>;
  /**
   * Replaces every server whose provenance starts with `kind:` by `servers`.
   * Slots are stable per (source, domain, family); domains are created for
   * hosts that have none and removed when the last server of a domain owned
   * by that kind goes. Manual overrides are kept.
   */
  syncSource(kind: 'container' | 'manifest', servers: SourceServer[], opts?: { dryRun?: boolean }): Promise<SyncResult>;
  /** A copy of the desired state. */
  snapshot(): DesiredState;
  /** Reconciles every pool: after HAProxy (re)starts, and as the periodic full resync. Returns the commands sent. */
  restore(): Promise<PlanStep[]>;
  /** Loads a PEM (already written to the certificate directory) into HAProxy, no reload; `created` when HAProxy did not know the file. */
  loadCert(load: CertLoad): Promise<{ created: boolean }>;
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
  /** Legacy: re-applies a saved server-state file to HAProxy and the desired state. */
  restoreState(file?: string): Promise<{ file: string; servers: number }>;
}
