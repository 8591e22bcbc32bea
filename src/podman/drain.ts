/**
 * @module Deciding that a stopping container's servers have drained: HAProxy
 * reports no current session on any of them (or they are already gone).
 */
import type { Logger } from 'pino';
import type { Operations, SourceServer } from '../operations/types.ts';
import type { DrainEntry } from './desired-set.ts';

/**
 * True when none of `servers` has a current session according to
 * `ops.health(domain)`; a server HAProxy no longer lists counts as drained.
 * Rejects when health cannot be read (the caller then waits for the timeout).
 */
export async function drainFinished(ops: Pick<Operations, 'health'>, servers: SourceServer[]): Promise<boolean> {
  for (const domain of new Set(servers.map((s) => s.domain))) {
    const rows = await ops.health(domain);
    for (const s of servers) {
      if (s.domain !== domain) continue;
      const row = rows.find((r) => r.family === s.family && r.address === s.address && r.port === s.port);
      if (row && row.currentSessions > 0) return false;
    }
  }
  return true;
}

/**
 * Marks done every open drain that is idle or past `timeoutMs`; true when
 * one finished (the caller syncs to remove its servers). The checks run
 * side by side: with 30 containers stopped at once, one after the other
 * they took seconds per round on a loaded machine, holding even the timed-out
 * drains past their timeout (issue 22 stress test).
 */
export async function finishDrains(
  drains: ReadonlyMap<string, DrainEntry>,
  ops: Pick<Operations, 'health'>,
  now: () => number,
  timeoutMs: number,
  log: Logger,
  nameOf: (id: string) => string = (id) => id.slice(0, 12),
): Promise<boolean> {
  // The slots of a domain's last server stay (drained) through its hold: requests wait for a successor.
  const open = [...drains].filter(([, entry]) => !entry.done && now() >= (entry.holdUntil ?? 0));
  // One health read per domain and round: 30 containers of one domain stopping at once asked HAProxy 30 times.
  const reads = new Map<string, ReturnType<Operations['health']>>();
  const health: Pick<Operations, 'health'> = {
    health: (domain) => {
      if (!reads.has(domain)) reads.set(domain, ops.health(domain));
      return reads.get(domain)!;
    },
  };
  const done = await Promise.all(
    open.map(async ([id, entry]) => {
      const timedOut = now() - entry.since >= timeoutMs;
      if (!timedOut && !(await drainFinished(health, entry.servers).catch(() => false))) return false;
      entry.done = true;
      const name = nameOf(id);
      log.info({ container: name, id, timedOut }, `container ${name}: ${timedOut ? 'drain timed out' : 'drained'}: removing its servers`);
      return true;
    }),
  );
  return done.some(Boolean);
}
