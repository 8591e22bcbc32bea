/**
 * @module The desired state: which hosts route to which pool, and which
 * servers sit in which slot. This is what servers.json persists (versioned),
 * what every source (MCP, containers, manifests) edits through the operations
 * layer, and what the reconciler makes HAProxy equal to.
 */
import { z } from 'zod';
import { CheckPath, Family, IpAddress, Port, Provenance, ServerState, Weight } from './names.ts';
import { HoldMs } from './hold.ts';
import { RouteRules } from './rules.ts';
import { RouteKey } from './route-key.ts';

/** A manual override on a server owned by a container or a manifest; it holds until cleared. */
export const ServerOverride = z.object({
  state: ServerState.optional(),
  weight: Weight.optional(),
  by: z.string().max(200).optional(),
  at: z.string().optional(),
});
export type ServerOverride = z.infer<typeof ServerOverride>;

export const ServerSpec = z.object({
  family: Family,
  slot: z.number().int().min(1).max(1000),
  address: IpAddress,
  port: Port,
  weight: Weight.default(1),
  state: ServerState.default('ready'),
  /** HTTP health-check path; absent means no health check (the server is up while it is ready). */
  check: CheckPath.optional(),
  /** Whether HAProxy's check must pass before traffic (true for containers with a check path). */
  source: Provenance.default('manual'),
  override: ServerOverride.optional(),
});
export type ServerSpec = z.infer<typeof ServerSpec>;

export const DomainSpec = z.object({
  pool: z.number().int().min(1).max(100000),
  source: Provenance.default('manual'),
  servers: z.array(ServerSpec).default([]),
  /** Hold in ms asked by the domain's source (label haproxy.hold, Domain spec.hold); absent: the default. */
  hold: HoldMs.optional(),
  /** Hold set through MCP; wins over the source's until cleared. */
  holdOverride: HoldMs.optional(),
  /** Rules asked by the domain's source (labels, Domain spec.rules); model/rules.ts. */
  rules: RouteRules.optional(),
  /** Rules set through MCP; each field wins over the source's until cleared. */
  rulesOverride: RouteRules.optional(),
});
export type DomainSpec = z.infer<typeof DomainSpec>;

export const STATE_VERSION = 1;
/**
 * servers.json holding per-host rules or path routes says version 2, so an
 * operator older than them refuses the file (its schema takes version 1
 * only) instead of silently dropping what it does not know. A file without
 * them stays version 1 and can still go back to an older operator.
 */
export const RULES_STATE_VERSION = 2;

/** servers.json, version 1 or 2 (fileVersion). */
export const DesiredState = z.object({
  version: z.union([z.literal(STATE_VERSION), z.literal(RULES_STATE_VERSION)]),
  /** Keyed by route: a host, or host/path for a path route (model/route-key.ts). */
  domains: z.record(RouteKey, DomainSpec),
});
export type DesiredState = z.infer<typeof DesiredState>;

/** Capacity of the rendered configuration. */
export interface Capacity {
  pools: number;
  slots: number;
}

/** The version a state is written with: 2 once any route has rules or is a path route. */
export function fileVersion(state: DesiredState): 1 | 2 {
  const v2 = Object.entries(state.domains).some(([key, d]) => key.includes('/') || d.rules !== undefined || d.rulesOverride !== undefined);
  return v2 ? RULES_STATE_VERSION : STATE_VERSION;
}

export function emptyState(): DesiredState {
  return { version: STATE_VERSION, domains: {} };
}

/** Backend holding a family's slots of pool N: pool_N, pool_N_ssl, pool_N_h3. */
export function backendName(pool: number, family: Family): string {
  return family === 'http' ? `pool_${pool}` : `pool_${pool}_${family}`;
}

/** Server name of a slot, as in the original: pool_N_K, pool_N_ssl_K, pool_N_h3_K. */
export function serverName(pool: number, family: Family, slot: number): string {
  return family === 'http' ? `pool_${pool}_${slot}` : `pool_${pool}_${family}_${slot}`;
}

/** Inverse of serverName; undefined for names that are not slots. */
export function parseServerName(name: string): { pool: number; family: Family; slot: number } | undefined {
  const m = /^pool_(\d+)_(?:(ssl|h3)_)?(\d+)$/.exec(name);
  if (!m) return undefined;
  return { pool: Number(m[1]), family: (m[2] as Family | undefined) ?? 'http', slot: Number(m[3]) };
}

const SEVERITY: Record<ServerState, number> = { ready: 0, drain: 1, maint: 2 };

/** The state HAProxy gets: the more restrictive of the source's state and a manual override. */
export function effectiveState(server: ServerSpec): ServerState {
  const override = server.override?.state;
  if (!override) return server.state;
  return SEVERITY[override] > SEVERITY[server.state] ? override : server.state;
}

export function effectiveWeight(server: ServerSpec): number {
  return server.override?.weight ?? server.weight;
}

/** Hosts of each pool that more than one host routes to (the original allowed it; import keeps it). */
export function sharedPools(state: DesiredState): Map<number, string[]> {
  const byPool = new Map<number, string[]>();
  for (const [host, d] of Object.entries(state.domains)) byPool.set(d.pool, [...(byPool.get(d.pool) ?? []), host]);
  for (const [pool, hosts] of byPool) if (hosts.length < 2) byPool.delete(pool);
  return byPool;
}

/** The other hosts routed to `host`'s pool. */
export function poolSharers(state: DesiredState, host: string): string[] {
  const pool = state.domains[host]?.pool;
  return Object.entries(state.domains)
    .filter(([h, d]) => h !== host && d.pool === pool)
    .map(([h]) => h);
}

/**
 * Hosts that share a pool share one slot set: after an edit of `host`'s
 * servers, every host of its pool gets the same list (one truth, one apply).
 * Replaces the sharers' domain objects in `state`, whose `domains` must be a
 * copy; the domain objects themselves may be shared with an older state.
 */
export function shareSlots(state: DesiredState, host: string): void {
  const spec = state.domains[host];
  if (!spec) return;
  for (const other of poolSharers(state, host)) state.domains[other] = { ...state.domains[other]!, servers: structuredClone(spec.servers) };
}
