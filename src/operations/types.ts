/**
 * @module The in-process operations API: the one surface that MCP tools, the
 * CLI, the container watcher and the resources call. Every mutating call
 * validates its input (throwing ValidationError naming field and value, with
 * nothing changed), edits the desired state, persists it, and reconciles.
 * With `dryRun: true` it returns the plan and changes nothing.
 */
import type { DesiredState, ServerSpec } from '../model/state.ts';
import type { Family, Provenance, ServerState } from '../model/names.ts';
import type { HaproxyInfo, StatRow } from '../model/haproxy.ts';
import type { CertLoad } from '../model/plan.ts';

/** One runtime step the reconciler will send, in words and as the exact command. */
export interface PlanStep {
  description: string;
  command: string;
}

/** What a mutating call did (or, with dryRun, would do). */
export interface ChangeResult {
  dryRun: boolean;
  /** Human-readable summary, e.g. "added example.com -> pool_3 (pool_3_1 10.0.0.5:80)". */
  summary: string;
  /** Runtime commands sent (or that would be sent). */
  plan: PlanStep[];
  domain?: DomainView;
}

export interface ServerView extends ServerSpec {
  name: string;
  backend: string;
  /** State HAProxy is told after overrides: the more restrictive of source and override. */
  effectiveState: ServerState;
  effectiveWeight: number;
}

export interface DomainView {
  domain: string;
  pool: number;
  backend: string;
  source: Provenance;
  servers: ServerView[];
}

export interface ServerHealth {
  name: string;
  backend: string;
  family: Family;
  slot: number;
  address: string;
  port: number;
  /** UP, DOWN, MAINT, DRAIN or NOLB, as HAProxy reports it (show stat). */
  status: string;
  checkStatus: string;
  currentSessions: number;
}

export interface AddDomainInput {
  domain: string;
  ip: string;
  /** Absent or 80/443: the three default servers; any other port: one HTTP server. */
  port?: number;
  source?: Provenance;
  dryRun?: boolean;
}

export interface ServerRef {
  domain: string;
  slot: number;
  family?: Family;
}

export interface AddServerInput extends ServerRef {
  ip: string;
  port: number;
  weight?: number;
  state?: ServerState;
  check?: string;
  source?: Provenance;
  dryRun?: boolean;
}

/** A server that a source (container watcher, resources) wants; slots are chosen by the operations layer. */
export interface SourceServer {
  /** container:<id> or manifest:<kind>/<name>. */
  source: Provenance;
  domain: string;
  family: Family;
  address: string;
  port: number;
  weight?: number;
  state: ServerState;
  check?: string;
}

export interface SyncResult {
  changed: boolean;
  plan: PlanStep[];
  /** Servers that could not be placed (pool full, no pool free), each with its reason. */
  rejected: Array<{ server: SourceServer; reason: string }>;
}

export interface Operations {
  listDomains(): DomainView[];
  getDomain(domain: string): DomainView | undefined;
  addDomain(input: AddDomainInput): Promise<ChangeResult>;
  removeDomain(input: { domain: string; dryRun?: boolean }): Promise<ChangeResult>;
  addServer(input: AddServerInput): Promise<ChangeResult>;
  removeServer(input: ServerRef & { dryRun?: boolean }): Promise<ChangeResult>;
  setServerState(input: ServerRef & { state: ServerState; by?: string; dryRun?: boolean }): Promise<ChangeResult>;
  setServerWeight(input: ServerRef & { weight: number; by?: string; dryRun?: boolean }): Promise<ChangeResult>;
  /** Clears manual overrides on a server owned by a container or manifest. */
  clearOverride(input: ServerRef & { dryRun?: boolean }): Promise<ChangeResult>;
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
