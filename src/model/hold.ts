/**
 * @module The per-domain hold: how long HAProxy keeps a request for a domain
 * whose servers are all out of service (restarting, being replaced) before it
 * answers 503. One place for its bounds, its default, its text form (labels,
 * manifests, MCP) and hold.map, the host -> milliseconds map HAProxy reads.
 */
import { z } from 'zod';
import type { DesiredState, DomainSpec } from './state.ts';

/** Longest hold: a held request keeps a client connection open this long at most. */
export const MAX_HOLD_MS = 60_000;
/** Hold of a domain that sets none: long enough for a container to restart. */
export const DEFAULT_HOLD_MS = 5_000;

/** Milliseconds of a hold, 0 (off) to MAX_HOLD_MS. */
export const HoldMs = z
  .number({ message: `not a hold time in ms (0-${MAX_HOLD_MS})` })
  .int({ message: `not a hold time in ms (0-${MAX_HOLD_MS})` })
  .min(0, { message: `not a hold time in ms (0-${MAX_HOLD_MS})` })
  .max(MAX_HOLD_MS, { message: `longer than the longest hold (${MAX_HOLD_MS / 1000}s)` });

/** 0, or at most 60 s written as ms, s or 1m; a pattern (not a refinement) so the CRD rejects what zod rejects. */
export const HOLD_PATTERN = '^(0|([0-9]{1,4}|[1-5][0-9]{4}|60000)ms|([0-9]|[1-5][0-9]|60)s|1m)$';
const HOLD_MESSAGE = 'not a hold time (0 to turn it off, or up to 60s written as 1500ms, 5s or 1m)';
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** A hold as text (labels and manifests), validated but not converted. */
export const HoldString = z
  .string()
  .regex(new RegExp(HOLD_PATTERN), { message: HOLD_MESSAGE })
  .meta({ pattern: HOLD_PATTERN })
  .describe('How long requests wait while the domain has no server in service: 0 (off), 1500ms, 5s, up to 60s');

/** Milliseconds of a HoldString. */
export function holdTextMs(text: string): number {
  const m = /^([0-9]+)(ms|s|m)$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : 0;
}

/** A hold as text, converted to milliseconds. */
export const HoldText = z.string().trim().pipe(HoldString).transform(holdTextMs);

/** The hold HAProxy applies: an MCP override, else what the domain's source says, else the default. */
export function effectiveHold(domain: Pick<DomainSpec, 'hold' | 'holdOverride'>): number {
  return domain.holdOverride ?? domain.hold ?? DEFAULT_HOLD_MS;
}

/**
 * hold.map entries: a domain holds only while it has a server (a domain that
 * never had one, or whose last server's hold ran out, answers 503 at once).
 */
export function holdEntries(state: DesiredState): Map<string, number> {
  const out = new Map<string, number>();
  for (const [route, d] of Object.entries(state.domains)) {
    const ms = effectiveHold(d);
    if (d.servers.length === 0 || ms === 0) continue;
    // hold.map is keyed by host: a path route's requests wait with its host's
    // hold, and a host served only by path routes with the longest of theirs.
    const host = route.split('/')[0]!;
    if (route === host) out.set(host, ms);
    else if (!state.domains[host]) out.set(host, Math.max(out.get(host) ?? 0, ms));
  }
  return out;
}

/** hold.map content: `host ms` lines, sorted. */
export function renderHoldMap(state: DesiredState): string {
  const lines = [...holdEntries(state)].sort(([a], [b]) => a.localeCompare(b)).map(([host, ms]) => `${host} ${ms}`);
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** The hold map lives beside domains.map. */
export function holdMapFile(mapFile: string): string {
  return mapFile.replace(/[^/]*$/, 'hold.map');
}
