/**
 * @module The full set of servers the containers ask for, including the
 * servers of stopping containers kept in drain until their sessions end.
 * Pure: the watcher owns the maps and the clock and passes them in.
 */
import type { SourceServer } from '../operations/types.ts';
import type { ContainerView } from './container-view.ts';

/** What the desired set needs to know of one container. */
export interface DesiredInput {
  view: Pick<ContainerView, 'name' | 'servers'>;
  /** A stop/kill event was seen while it still runs: drain before `died` arrives. */
  stoppingSince?: number;
}

/** Servers of a stopping or vanished container, kept in drain until `done`. */
export interface DrainEntry {
  servers: SourceServer[];
  since: number;
  done: boolean;
  /** Container name: a new container of that name (replace, auto-update) takes these servers' slots. */
  name?: string;
  /** The slots stay (in drain, so requests are held, not refused) at least until then. */
  holdUntil?: number;
}

/**
 * Computes the desired set. Mutates `drains`: opens an entry when a
 * container that had servers (`sent`) has none now or is stopping, and drops
 * entries that are finished or whose container runs again. Returns the
 * servers and the ids whose drain just started (for logging).
 */
export function desiredServers(
  containers: ReadonlyMap<string, DesiredInput>,
  sent: ReadonlyMap<string, SourceServer[]>,
  drains: Map<string, DrainEntry>,
  now: number,
  holdFor: (domain: string) => number = () => 0,
): { servers: SourceServer[]; drainStarted: string[] } {
  const servers: SourceServer[] = [];
  const drainStarted: string[] = [];
  const ids = new Set([...containers.keys(), ...sent.keys(), ...drains.keys()]);
  for (const id of ids) {
    const tracked = containers.get(id);
    const stopping = tracked?.stoppingSince !== undefined;
    const live = stopping ? [] : tracked?.view.servers ?? [];
    if (live.length > 0) {
      drains.delete(id);
      servers.push(...takeOver(id, tracked!.view.name, live, drains));
      continue;
    }
    const previous = sent.get(id) ?? [];
    let entry = drains.get(id);
    if (!entry && previous.length > 0) {
      const since = tracked?.stoppingSince ?? now;
      const hold = Math.max(0, ...previous.map((s) => holdFor(s.domain)));
      entry = { servers: previous.map(({ replaces: _, ...s }) => ({ ...s, state: 'drain' as const })), since, done: false, holdUntil: since + hold };
      if (tracked) entry.name = tracked.view.name;
      drains.set(id, entry);
      drainStarted.push(id);
    }
    if (entry && !entry.done) servers.push(...entry.servers);
    // A finished drain is kept while the container is still stopping, so it is not re-added.
    else if (entry && (!tracked || !stopping)) drains.delete(id);
  }
  return { servers, drainStarted };
}

/**
 * A running container named like a stopped one (podman run --replace,
 * auto-update: a new id, the same name) ends that one's drain and takes its
 * slots, so the held requests go to it as soon as it is ready.
 */
function takeOver(id: string, name: string, live: SourceServer[], drains: Map<string, DrainEntry>): SourceServer[] {
  const old = [...drains].find(([otherId, entry]) => otherId !== id && entry.name === name);
  if (!old) return live;
  drains.delete(old[0]);
  const replaces = old[1].servers[0]?.source;
  return replaces ? live.map((s) => ({ ...s, replaces })) : live;
}
