/**
 * @module domains.map in the original's format (`host pool_N`, one line per
 * host): parsing an existing file with every unreadable line reported, and
 * rendering the file HAProxy loads at start. Pure.
 */
import { Hostname } from '../model/names.ts';
import type { ImportProblem } from './report.ts';

/** One routed host as read from domains.map. */
export interface MapEntry {
  host: string;
  pool: number;
  /** 1-based line number in the source file. */
  line: number;
}

export interface ParsedMap {
  entries: MapEntry[];
  problems: ImportProblem[];
}

const POOL = /^pool_([1-9]\d{0,5})$/;

/**
 * Parses domains.map text. Blank lines and `#` comments are skipped; a line
 * that is not `host pool_N` is reported with its line number; a repeated host
 * keeps its first line (HAProxy's own rule) and the repeat is reported.
 */
export function parseDomainsMap(text: string, file = 'domains.map'): ParsedMap {
  const entries: MapEntry[] = [];
  const problems: ImportProblem[] = [];
  const seen = new Map<string, MapEntry>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/#.*$/, '').trim();
    if (content === '') return;
    const where = `${file}:${line}`;
    const words = content.split(/\s+/);
    if (words.length !== 2) {
      problems.push({ path: where, value: raw, reason: 'expected "host pool_N" (two words)' });
      return;
    }
    const [hostWord, poolWord] = words as [string, string];
    const host = Hostname.safeParse(hostWord);
    if (!host.success) {
      problems.push({ path: where, value: hostWord, reason: 'not a valid host name' });
      return;
    }
    const pool = POOL.exec(poolWord);
    if (!pool) {
      problems.push({ path: where, value: poolWord, reason: 'not a pool backend name (pool_N)' });
      return;
    }
    const previous = seen.get(host.data);
    if (previous) {
      problems.push({
        path: where,
        value: content,
        reason: `host already mapped on line ${previous.line} (pool_${previous.pool}); HAProxy uses the first, this line is ignored`,
      });
      return;
    }
    const entry = { host: host.data, pool: Number(pool[1]), line };
    seen.set(entry.host, entry);
    entries.push(entry);
  });
  return { entries, problems };
}
