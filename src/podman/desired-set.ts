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
  /** A successor on another address is in service: the slots go once its servers are in HAProxy (endReplaced). */
  replaced?: boolean;
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
  nameOf: (id: string) => string | undefined = () => undefined,
): { servers: SourceServer[]; drainStarted: string[] } {
  const servers: SourceServer[] = [];
  const drainStarted: string[] = [];
  const live = new Map<string, SourceServer[]>();
  const ids = new Set([...containers.keys(), ...sent.keys(), ...drains.keys()]);
  for (const id of ids) {
    const tracked = containers.get(id);
    const running = tracked?.stoppingSince === undefined ? tracked?.view.servers ?? [] : [];
    if (running.length > 0) {
      live.set(id, running);
      continue;
    }
    const previous = sent.get(id) ?? [];
    if (drains.has(id) || previous.length === 0) continue;
    const since = tracked?.stoppingSince ?? now;
    const hold = Math.max(0, ...previous.map((s) => holdFor(s.domain)));
    const entry: DrainEntry = { servers: previous.map(({ replaces: _, ...s }) => ({ ...s, state: 'drain' as const })), since, done: false, holdUntil: since + hold };
    const name = tracked?.view.name ?? nameOf(id);
    if (name !== undefined) entry.name = name;
    drains.set(id, entry);
    drainStarted.push(id);
  }
  // Drains first, so a container replaced between two syncs is found by its name.
  for (const [id, running] of live) {
    drains.delete(id);
    servers.push(...takeOver(id, containers.get(id)!.view.name, running, drains, now));
  }
  for (const [id, entry] of drains) {
    const tracked = containers.get(id);
    if (!entry.done) servers.push(...entry.servers);
    // A finished drain is kept while the container is still stopping, so it is not re-added.
    else if (!tracked || tracked.stoppingSince === undefined) drains.delete(id);
  }
  return { servers, drainStarted };
}

/**
 * A running container named like a stopped one (podman run --replace,
 * auto-update: a new id, the same name) ends that one's drain and takes its
 * slots, so the held requests go to it as soon as it is ready. On another
 * address it gets slots of its own instead: a request HAProxy is retrying
 * (cut by the exiting process) keeps the address it was sent to until its
 * server leaves service, and is then redispatched. So the old slots stay
 * until the new ones are in HAProxy, and go right after (endReplaced).
 */
function takeOver(id: string, name: string, live: SourceServer[], drains: Map<string, DrainEntry>, now: number): SourceServer[] {
  const old = [...drains].find(([otherId, entry]) => otherId !== id && entry.name === name);
  if (!old) return live;
  const [oldId, entry] = old;
  const sameAddress = (s: SourceServer) => entry.servers.some((o) => o.domain === s.domain && o.family === s.family && o.address === s.address && o.port === s.port);
  if (!live.every(sameAddress) && live.every((s) => s.state === 'ready')) {
    entry.replaced = true;
    entry.holdUntil = now;
    return live;
  }
  drains.delete(oldId);
  const replaces = entry.servers[0]?.source;
  return replaces ? live.map((s) => ({ ...s, replaces })) : live;
}

/**
 * Ends the drains whose successor on another address was just applied to
 * HAProxy (sessions or not: they are requests retrying the old address,
 * redispatched to the successor once the old slots leave). True when one
 * ended: the caller syncs again to remove those slots.
 */
export function endReplaced(drains: ReadonlyMap<string, DrainEntry>): boolean {
  const ended = [...drains.values()].filter((entry) => entry.replaced && !entry.done);
  for (const entry of ended) entry.done = true;
  return ended.length > 0;
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
