/**
 * @module The full set of servers the containers ask for, including the
 * servers of stopping containers kept in drain until their sessions end.
 * Pure: the watcher owns the maps and the clock and passes them in.
 */
import type { SourceServer } from '../operations/types.ts';
import type { ContainerView } from './container-view.ts';

/** What the desired set needs to know of one container. */
export interface DesiredInput {
  view: ContainerView;
  /** A stop/kill event was seen while it still runs: drain before `died` arrives. */
  stoppingSince?: number;
}

/** Servers of a stopping or vanished container, kept in drain until `done`. */
export interface DrainEntry {
  servers: SourceServer[];
  since: number;
  done: boolean;
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
      servers.push(...live);
      continue;
    }
    const previous = sent.get(id) ?? [];
    let entry = drains.get(id);
    if (!entry && previous.length > 0) {
      entry = { servers: previous.map((s) => ({ ...s, state: 'drain' as const })), since: tracked?.stoppingSince ?? now, done: false };
      drains.set(id, entry);
      drainStarted.push(id);
    }
    if (entry && !entry.done) servers.push(...entry.servers);
    // A finished drain is kept while the container is still stopping, so it is not re-added.
    else if (entry && (!tracked || !stopping)) drains.delete(id);
  }
  return { servers, drainStarted };
}

/** Groups items by the container id of their server (`container:<id>` provenance). */
export function byContainer<T>(items: readonly T[], serverOf: (item: T) => SourceServer): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const id = serverOf(item).source.slice('container:'.length);
    out.set(id, [...(out.get(id) ?? []), item]);
  }
  return out;
}
