/**
 * @module What servers.json may hold for this configuration, checked at
 * load: every pool within --pools, every slot within --slots, one server per
 * slot, and hosts that share a pool (as the original allowed) agreeing on its
 * servers. A state that breaks a rule is refused with the file, the entry
 * and the fix, never started with silently (it would route wrongly or 503).
 */
import { OperatorError } from '../model/errors.ts';
import { serverName, sharedPools, type Capacity, type DesiredState, type ServerSpec } from '../model/state.ts';

const slotKey = (s: ServerSpec) => `${s.family}/${s.slot}`;
const where = (s: ServerSpec) => `${s.address}:${s.port}`;

function beyondPools(state: DesiredState, capacity: Capacity, file: string): string[] {
  const out = Object.entries(state.domains).filter(([, d]) => d.pool > capacity.pools);
  if (out.length === 0) return [];
  const used = new Set(Object.values(state.domains).map((d) => d.pool));
  const free: number[] = [];
  for (let p = 1; p <= capacity.pools && free.length < out.length; p++) if (!used.has(p)) free.push(p);
  const highest = Math.max(...out.map(([, d]) => d.pool));
  const list = out.map(([h, d]) => `${h} (pool_${d.pool})`).join(', ');
  const move = free.length >= out.length
    ? `or move them: stop the operator, set their "pool" in ${file} to free pools within ${capacity.pools} (free: ${free.join(', ')}) and start again`
    : `there are not enough free pools within ${capacity.pools} to move them (${free.length} free)`;
  return [`${list}: beyond --pools ${capacity.pools}, so HAProxy has no such backend and the host would answer 503. Start with --pools ${highest} (or more), ${move}`];
}

function perDomain(state: DesiredState, capacity: Capacity): string[] {
  const problems: string[] = [];
  for (const [host, d] of Object.entries(state.domains)) {
    const seen = new Map<string, ServerSpec>();
    d.servers.forEach((s, i) => {
      const entry = `domains["${host}"].servers[${i}] (${serverName(d.pool, s.family, s.slot)} ${where(s)})`;
      if (s.slot > capacity.slots) problems.push(`${entry}: slot ${s.slot} is beyond --slots ${capacity.slots}. Start with --slots ${s.slot} (or more), or give it a free slot within ${capacity.slots}`);
      const first = seen.get(slotKey(s));
      if (first) problems.push(`${entry}: slot ${s.slot} (${s.family}) of ${host} already holds ${where(first)}. Keep one server per slot: give one of them another slot`);
      else seen.set(slotKey(s), s);
    });
  }
  return problems;
}

/** Merges the servers of hosts sharing a pool into one list; a slot two hosts fill differently is a problem. */
function unifyShared(state: DesiredState, notes: string[]): string[] {
  const problems: string[] = [];
  for (const [pool, hosts] of sharedPools(state)) {
    const merged = new Map<string, { server: ServerSpec; host: string }>();
    for (const host of hosts) {
      for (const s of state.domains[host]!.servers) {
        const first = merged.get(slotKey(s));
        if (!first) merged.set(slotKey(s), { server: s, host });
        else if (JSON.stringify(first.server) !== JSON.stringify(s)) {
          problems.push(
            `${serverName(pool, s.family, s.slot)} has two owners: ${first.host} -> ${where(first.server)} and ${host} -> ${where(s)}. ` +
              `Hosts that share pool_${pool} share its servers: make domains["${first.host}"] and domains["${host}"] list the same server in slot ${s.slot}, or give one of them its own pool`,
          );
        }
      }
    }
    const servers = [...merged.values()].map((m) => m.server);
    const differ = hosts.some((h) => state.domains[h]!.servers.length !== servers.length);
    for (const h of hosts) state.domains[h]!.servers = structuredClone(servers);
    if (differ) notes.push(`pool_${pool} is shared by ${hosts.join(', ')}: they now share the union of their servers (${servers.length})`);
  }
  return problems;
}

/**
 * Checks a loaded state against the capacity; returns it (shared pools
 * unified) with notes for the log, or throws one error listing every problem.
 */
export function checkLoadedState(state: DesiredState, capacity: Capacity, file: string): { state: DesiredState; notes: string[] } {
  const next = structuredClone(state);
  const notes: string[] = [];
  const problems = [...beyondPools(next, capacity, file), ...perDomain(next, capacity), ...unifyShared(next, notes)];
  if (problems.length > 0) {
    throw new OperatorError(`${file}: ${problems.length} problem(s); nothing was started:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return { state: next, notes };
}
