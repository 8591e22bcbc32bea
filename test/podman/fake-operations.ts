/**
 * @module A recording, in-memory stand-in for the parts of Operations the
 * container watcher calls (syncSource, health, getDomain), until the real
 * operations layer can be used in these tests. Slots are stable per
 * (source, domain, family) and limited per domain, like the real one.
 */
import type { DomainView, ServerHealth, SourceServer, SyncResult } from '../../src/operations/types.ts';
import type { WatcherOperations } from '../../src/podman/watcher.ts';

export interface FakeOperations extends WatcherOperations {
  /** Every syncSource call's server list, in order. */
  calls: SourceServer[][];
  /** The servers of the last call. */
  current(): SourceServer[];
  /** Current sessions HAProxy would report, by `address:port`. */
  sessions: Map<string, number>;
  /** How often health() was called (drain polling). */
  readonly healthCalls: number;
  /** Servers of one domain in the last call. */
  serversOf(domain: string): SourceServer[];
}

/** `slotsPerDomain` servers fit per domain; further ones are rejected as "pool full". */
export function createFakeOperations(slotsPerDomain = 10): FakeOperations {
  const calls: SourceServer[][] = [];
  const sessions = new Map<string, number>();
  const slots = new Map<string, Map<string, number>>();
  let current: SourceServer[] = [];
  let healthCalls = 0;

  const slotKey = (s: SourceServer) => `${s.source}|${s.family}`;
  return {
    calls,
    sessions,
    get healthCalls() {
      return healthCalls;
    },
    current: () => current,
    serversOf: (domain) => current.filter((s) => s.domain === domain),
    async syncSource(kind, servers) {
      if (kind !== 'container') throw new Error(`unexpected kind ${kind}`);
      calls.push(servers.map((s) => ({ ...s })));
      const rejected: SyncResult['rejected'] = [];
      const placed: SourceServer[] = [];
      const next = new Map<string, Map<string, number>>();
      for (const s of servers) {
        const old = slots.get(s.domain) ?? new Map<string, number>();
        const taken = next.get(s.domain) ?? new Map<string, number>();
        next.set(s.domain, taken);
        let slot = old.get(slotKey(s));
        const used = new Set(taken.values());
        if (slot === undefined || used.has(slot)) {
          slot = undefined;
          for (let k = 1; k <= slotsPerDomain; k++) {
            if (!used.has(k) && ![...old.entries()].some(([key, v]) => v === k && key !== slotKey(s) && servers.some((o) => o.domain === s.domain && slotKey(o) === key))) {
              slot = k;
              break;
            }
          }
        }
        if (slot === undefined) {
          rejected.push({ server: s, reason: `pool of ${s.domain} is full (${slotsPerDomain} slots)` });
          continue;
        }
        taken.set(slotKey(s), slot);
        placed.push(s);
      }
      slots.clear();
      for (const [d, m] of next) slots.set(d, m);
      const changed = JSON.stringify(placed) !== JSON.stringify(current);
      current = placed;
      return { changed, plan: [], rejected };
    },
    async health(domain): Promise<ServerHealth[]> {
      healthCalls += 1;
      return current
        .filter((s) => s.domain === domain)
        .map((s) => ({
          name: `pool_1_${slots.get(domain)?.get(slotKey(s)) ?? 0}`,
          backend: 'pool_1',
          family: s.family,
          slot: slots.get(domain)?.get(slotKey(s)) ?? 0,
          address: s.address,
          port: s.port,
          status: s.state === 'ready' ? 'UP' : s.state === 'drain' ? 'DRAIN' : 'MAINT',
          checkStatus: '',
          currentSessions: sessions.get(`${s.address}:${s.port}`) ?? 0,
        }));
    },
    getDomain(domain): DomainView | undefined {
      const servers = current.filter((s) => s.domain === domain);
      if (servers.length === 0) return undefined;
      return {
        domain,
        pool: 1,
        backend: 'pool_1',
        // No hold: these tests time drains, not holds.
        holdMs: 0,
        source: servers[0]!.source,
        servers: servers.map((s) => {
          const slot = slots.get(domain)?.get(slotKey(s)) ?? 0;
          return {
            name: `pool_1_${slot}`,
            backend: 'pool_1',
            family: s.family,
            slot,
            address: s.address,
            port: s.port,
            weight: s.weight ?? 1,
            state: s.state,
            source: s.source,
            ...(s.check ? { check: s.check } : {}),
            effectiveState: s.state,
            effectiveWeight: s.weight ?? 1,
          };
        }),
      };
    },
  };
}
