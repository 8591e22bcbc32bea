/**
 * @module Deciding that a stopping container's servers have drained: HAProxy
 * reports no current session on any of them (or they are already gone).
 */
import type { Operations, SourceServer } from '../operations/types.ts';

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
