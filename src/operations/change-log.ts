/**
 * @module The change log: one line per change and source, naming who asked
 * (the container by name, the resource, the MCP or API caller), the hosts,
 * the pool, the slots and what became of it, instead of "container sync: 2
 * servers". Computed from the desired state before and after, so every
 * source gets the same form.
 */
import type { Logger } from 'pino';
import { serverName, type DesiredState, type DomainSpec, type ServerSpec } from '../model/state.ts';
import { effectiveRules } from '../model/rules.ts';

/** What changed for one source in one commit. */
export interface ChangeEntry {
  /** Provenance of what changed (container:<id>, manifest:Domain/web, manual, import). */
  source: string;
  hosts: string[];
  pools: number[];
  /** One phrase per slot: `pool_3_1 added 10.0.0.5:80`, `pool_3_1 state ready->maint`. */
  slots: string[];
}

function addr(s: ServerSpec): string {
  return s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
}

function serverChange(before: ServerSpec, after: ServerSpec): string[] {
  const out: string[] = [];
  if (addr(before) !== addr(after)) out.push(`${addr(before)}->${addr(after)}`);
  if (before.state !== after.state) out.push(`state ${before.state}->${after.state}`);
  if (before.weight !== after.weight) out.push(`weight ${before.weight}->${after.weight}`);
  if (before.check !== after.check) out.push(`check ${before.check ?? 'none'}->${after.check ?? 'none'}`);
  if (JSON.stringify(before.override ?? {}) !== JSON.stringify(after.override ?? {})) {
    const o = after.override;
    out.push(o ? `override${o.state ? ` ${o.state}` : ''}${o.weight !== undefined ? ` weight ${o.weight}` : ''}` : 'override cleared');
  }
  if (before.source !== after.source) out.push(`owner ${before.source}->${after.source}`);
  return out;
}

/** The rules whose effective value changed, by name (`hsts set`, `allow cleared`): never a value, so no secret reaches the log. */
function changedRules(a: DomainSpec, b: DomainSpec): string[] {
  const before: Record<string, unknown> = effectiveRules(a);
  const after: Record<string, unknown> = effectiveRules(b);
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .sort()
    .map((k) => `${k} ${after[k] === undefined ? 'cleared' : before[k] === undefined ? 'set' : 'changed'}`);
}

/** The per-source changes between two desired states, in host order. */
export function describeChanges(before: DesiredState, after: DesiredState): ChangeEntry[] {
  const bySource = new Map<string, ChangeEntry>();
  const note = (source: string, host: string, pool: number, phrase?: string) => {
    const e = bySource.get(source) ?? { source, hosts: [], pools: [], slots: [] };
    bySource.set(source, e);
    if (!e.hosts.includes(host)) e.hosts.push(host);
    if (!e.pools.includes(pool)) e.pools.push(pool);
    if (phrase) e.slots.push(phrase);
  };
  // Edits share untouched domains with the state before (mutations.ts copyForEdit): identity rules them out cheaply.
  const hosts = [...new Set([...Object.keys(before.domains), ...Object.keys(after.domains)])].filter((h) => before.domains[h] !== after.domains[h]).sort();
  for (const host of hosts) {
    const a: DomainSpec | undefined = before.domains[host];
    const b: DomainSpec | undefined = after.domains[host];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const pool = (b ?? a)!.pool;
    if (!a) note(b!.source, host, pool, `${host} routed to pool_${pool}`);
    if (!b) note(a!.source, host, pool, `${host} no longer routed (pool_${pool} freed)`);
    if (a && b && a.pool !== b.pool) note(b.source, host, b.pool, `${host} moved pool_${a.pool}->pool_${b.pool}`);
    const rules = a && b ? changedRules(a, b) : [];
    if (rules.length > 0) note(b!.source, host, pool, `${host} rules ${rules.join(', ')}`);
    const key = (s: ServerSpec) => `${s.family}/${s.slot}`;
    const old = new Map((a?.servers ?? []).map((s) => [key(s), s]));
    const now = new Map((b?.servers ?? []).map((s) => [key(s), s]));
    for (const k of new Set([...old.keys(), ...now.keys()])) {
      const o = old.get(k);
      const n = now.get(k);
      const name = serverName(pool, (n ?? o)!.family, (n ?? o)!.slot);
      if (!o) note(n!.source, host, pool, `${name} added ${addr(n!)}${n!.state === 'ready' ? '' : ` ${n!.state}`}`);
      else if (!n) note(o.source, host, pool, `${name} removed`);
      else {
        const what = serverChange(o, n);
        if (what.length > 0) note(n.source, host, pool, `${name} ${what.join(', ')}`);
      }
    }
  }
  return [...bySource.values()];
}

export interface ChangeLogContext {
  /** Who asked: `mcp:127.0.0.1 haproxy_add_domain`, `api:127.0.0.1`; absent for the sources' own syncs. */
  actor?: string;
  /** Display names of sources where known: container:<id> -> container name. */
  names?: ReadonlyMap<string, string>;
  /** What became of the change: `applied (4 commands)`, `saved; HAProxy unreachable`, `failed: ...`. */
  result: string;
}

function sourceLabel(source: string, names?: ReadonlyMap<string, string>): string {
  const name = names?.get(source);
  if (source.startsWith('container:')) return `container ${name ?? source.slice('container:'.length, 'container:'.length + 12)}`;
  if (source.startsWith('manifest:')) return `resource ${source.slice('manifest:'.length)}`;
  return source;
}

/** Logs one line per source that changed; `level` warn for failures. */
export function logChanges(logger: Logger, entries: readonly ChangeEntry[], ctx: ChangeLogContext, level: 'info' | 'warn' = 'info'): void {
  for (const e of entries) {
    const label = sourceLabel(e.source, ctx.names);
    const by = ctx.actor ? ` by ${ctx.actor}` : '';
    const pools = e.pools.map((p) => `pool_${p}`).join(', ');
    logger[level](
      { source: label, ...(ctx.actor ? { by: ctx.actor } : {}), hosts: e.hosts, pool: e.pools.length === 1 ? e.pools[0] : e.pools, slots: e.slots, result: ctx.result },
      `change: ${label}${by}: ${e.hosts.join(', ')} (${pools}): ${e.slots.join('; ') || 'updated'}: ${ctx.result}`,
    );
  }
}
