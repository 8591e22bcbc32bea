/**
 * @module Persists the desired state: servers.json (versioned, the source of
 * truth) plus domains.map, checks.map, hold.map and the rule maps (beside domains.map), the
 * files HAProxy loads at start.
 * Each file is replaced atomically; servers.json is written first and the
 * maps are derived from it, so after a crash between the writes the maps are
 * rebuilt from servers.json on the next start.
 */
import { readFile } from 'node:fs/promises';
import { DesiredState, emptyState, fileVersion, serverName, type Capacity } from '../model/state.ts';
import { checkLoadedState } from './state-check.ts';
import { parseOrThrow } from '../model/zod-errors.ts';
import { removeStaleTemps, writeFilesAtomic } from '../os/atomic-write.ts';
import { holdMapFile, renderHoldMap } from '../model/hold.ts';
import { isPathRoute } from '../model/route-key.ts';
import { renderRuleFile, ruleFiles, ruleMapFile } from '../model/rules.ts';

export interface StatePaths {
  serversFile: string;
  mapFile: string;
  checksMapFile: string;
}

/** domains.map content: `host pool_N` lines, sorted for stable diffs. */
export function renderDomainsMap(state: DesiredState): string {
  const lines = Object.entries(state.domains)
    .filter(([route]) => !isPathRoute(route))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([host, d]) => `${host} pool_${d.pool}`);
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** checks.map content: `server_name /path` for servers with an HTTP check. */
export function renderChecksMap(state: DesiredState): string {
  const lines: string[] = [];
  for (const d of Object.values(state.domains)) {
    for (const s of d.servers) if (s.check) lines.push(`${serverName(d.pool, s.family, s.slot)} ${s.check}`);
  }
  lines.sort();
  return lines.length ? lines.join('\n') + '\n' : '';
}

export function serializeState(state: DesiredState): string {
  return JSON.stringify({ ...state, version: fileVersion(state) }, null, 2) + '\n';
}

export interface StateStore {
  /** Reads servers.json; with `capacity`, refuses a state beyond it or conflicting (state-check.ts). */
  load(capacity?: Capacity, onNote?: (note: string) => void): Promise<DesiredState>;
  save(state: DesiredState): Promise<void>;
  readonly paths: StatePaths;
}

export function createStateStore(paths: StatePaths): StateStore {
  let swept = false;
  return {
    paths,
    async load(capacity, onNote) {
      let text: string;
      try {
        text = await readFile(paths.serversFile, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
        throw error;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new Error(`${paths.serversFile}: not valid JSON (${(error as Error).message})`);
      }
      const state = parseOrThrow(DesiredState, json, paths.serversFile);
      if (!capacity) return state;
      const checked = checkLoadedState(state, capacity, paths.serversFile);
      for (const note of checked.notes) onNote?.(note);
      return checked.state;
    },
    async save(state) {
      if (!swept) {
        // Temp files of an earlier writer killed mid-save (the lock makes us the only writer now).
        for (const file of [paths.serversFile, paths.mapFile, paths.checksMapFile, holdMapFile(paths.mapFile), ...ruleFiles().map((f) => ruleMapFile(paths.mapFile, f))]) {
          await removeStaleTemps(file);
        }
        swept = true;
      }
      // One fsync of servers.json and one of the directory per save (a burst of
      // changes is one save). The maps are derived from servers.json and
      // rewritten from it at every start, before HAProxy loads them, so they
      // need no fsync of their own; they are renamed after servers.json.
      await writeFilesAtomic([
        { path: paths.serversFile, data: serializeState(state) },
        { path: paths.mapFile, data: renderDomainsMap(state), durable: false },
        { path: paths.checksMapFile, data: renderChecksMap(state), durable: false },
        { path: holdMapFile(paths.mapFile), data: renderHoldMap(state), durable: false },
        // 0600: rules.map holds basic-auth hashes.
        ...ruleFiles().map((f) => ({ path: ruleMapFile(paths.mapFile, f), data: renderRuleFile(f, state), durable: false, mode: 0o600 })),
      ]);
    },
  };
}
