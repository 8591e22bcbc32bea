/**
 * @module Combines the original's domains.map and servers.json records into
 * the operator's DesiredState: domains.map decides which host routes to which
 * pool (it is what HAProxy routed by), servers.json decides what sits in each
 * pool's slots. Every record that cannot be placed is reported. Pure.
 */
import { DesiredState, STATE_VERSION, serverName, type ServerSpec } from '../model/state.ts';
import type { Provenance } from '../model/names.ts';
import { parseOrThrow } from '../model/zod-errors.ts';
import type { MapEntry } from './domains-map.ts';
import type { ServerRecord } from './servers-json.ts';
import type { ImportedDomain, ImportProblem } from './report.ts';

export interface BuildOptions {
  /** Pools in the rendered configuration (pool_1..pool_pools). */
  pools: number;
  /** Slots per family in each pool. */
  slots: number;
  /** Provenance given to imported domains and servers. */
  source: Provenance;
}

export interface BuiltState {
  state: DesiredState;
  domains: ImportedDomain[];
  serverCount: number;
  problems: ImportProblem[];
  notes: string[];
}

/**
 * Builds the desired state. Hosts that share a pool in domains.map each get
 * the pool's servers (they routed to the same backend in the original).
 * Throws only if the result fails DesiredState validation, which would be a
 * bug here, not bad input.
 */
export function buildImportedState(map: MapEntry[], records: ServerRecord[], opts: BuildOptions): BuiltState {
  const problems: ImportProblem[] = [];
  const notes: string[] = [];
  const hostPool = new Map<string, number>();
  const poolHosts = new Map<number, string[]>();
  const skippedHosts = new Map<string, MapEntry>();
  for (const e of map) {
    if (e.pool > opts.pools) {
      skippedHosts.set(e.host, e);
      problems.push({
        path: `domains.map:${e.line}`,
        value: `${e.host} pool_${e.pool}`,
        reason: `pool_${e.pool} is beyond the configured pools (${opts.pools}); raise --pools to import this host`,
      });
      continue;
    }
    hostPool.set(e.host, e.pool);
    poolHosts.set(e.pool, [...(poolHosts.get(e.pool) ?? []), e.host]);
  }
  for (const [pool, hosts] of poolHosts) {
    if (hosts.length > 1) notes.push(`pool_${pool} is shared by ${hosts.join(', ')}: each gets the pool's servers`);
  }

  // Slot contents per pool, keyed "family/slot"; explicit records beat implied ones.
  const poolServers = new Map<number, Map<string, ServerRecord>>();
  for (const r of records) {
    let pool: number | undefined;
    if (r.domain !== undefined) {
      pool = hostPool.get(r.domain);
      const skipped = skippedHosts.get(r.domain);
      if (pool === undefined && skipped) {
        problems.push({ path: r.path, value: r.domain, reason: `its domains.map line was not imported (domains.map:${skipped.line}); skipped` });
        continue;
      }
      if (pool === undefined) {
        problems.push({ path: r.path, value: r.domain, reason: 'domain is not routed in domains.map (the original did not serve it); skipped' });
        continue;
      }
      if (r.pool !== undefined && r.pool !== pool) {
        problems.push({ path: r.path, value: `pool_${r.pool}`, reason: `domains.map routes ${r.domain} to pool_${pool}; skipped` });
        continue;
      }
    } else {
      pool = r.pool;
      if (pool === undefined) {
        problems.push({ path: r.path, reason: 'entry names neither a domain nor a pool; skipped' });
        continue;
      }
      if (!poolHosts.has(pool)) {
        problems.push({ path: r.path, value: `pool_${pool}`, reason: 'no host in domains.map routes to this pool; skipped' });
        continue;
      }
    }
    if (r.slot > opts.slots) {
      problems.push({ path: r.path, value: r.slot, reason: `slot is beyond the configured slots (${opts.slots}); raise --slots to import it` });
      continue;
    }
    const slots = poolServers.get(pool) ?? new Map<string, ServerRecord>();
    poolServers.set(pool, slots);
    const key = `${r.family}/${r.slot}`;
    const existing = slots.get(key);
    if (existing) {
      if (existing.implied && !r.implied) slots.set(key, r);
      else if (!r.implied) {
        problems.push({
          path: r.path,
          value: `${r.address}:${r.port}`,
          reason: `${serverName(pool, r.family, r.slot)} is already set by ${existing.path}; this one is ignored`,
        });
      }
      continue;
    }
    slots.set(key, r);
  }

  const state: DesiredState = { version: STATE_VERSION, domains: {} };
  const domains: ImportedDomain[] = [];
  let serverCount = 0;
  for (const [host, pool] of hostPool) {
    const specs: ServerSpec[] = [...(poolServers.get(pool)?.values() ?? [])]
      .sort((a, b) => familyOrder(a.family) - familyOrder(b.family) || a.slot - b.slot)
      .map((r) => ({
        family: r.family,
        slot: r.slot,
        address: r.address,
        port: r.port,
        weight: r.weight ?? 1,
        state: r.state ?? 'ready',
        ...(r.check ? { check: r.check } : {}),
        source: opts.source,
      }));
    state.domains[host] = { pool, source: opts.source, servers: specs };
    serverCount += specs.length;
    domains.push({
      host,
      pool,
      servers: specs.map((s) => `${serverName(pool, s.family, s.slot)} ${s.family === 'http' ? '' : `(${s.family}) `}${hostPort(s.address, s.port)}`),
    });
  }
  let implied = 0;
  for (const slots of poolServers.values()) for (const r of slots.values()) if (r.implied) implied += 1;
  if (implied > 0) notes.push(`${implied} ssl/h3 servers were added by the original's port logic (entries on port 80/443 without a family)`);
  return { state: parseOrThrow(DesiredState, state, 'importedState'), domains, serverCount, problems, notes };
}

function familyOrder(f: string): number {
  return f === 'http' ? 0 : f === 'ssl' ? 1 : 2;
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
