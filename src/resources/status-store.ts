/**
 * @module Persists resource status (conditions, derived generation, first
 * seen time) in <stateDir>/resources-status.json, so lastTransitionTime and
 * generations survive a restart. Written atomically; a missing or unreadable
 * file starts empty (status is recomputed on the next reconcile anyway).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Condition } from '../model/conditions.ts';
import { writeFileAtomic } from '../os/atomic-write.ts';

export const STATUS_FILE = 'resources-status.json';

export const StatusEntry = z.object({
  /** metadata.generation, or one derived from spec changes when the manifest has none. */
  generation: z.number().int().min(1),
  /** Hash of the spec the generation belongs to. */
  specHash: z.string(),
  /** When the operator first saw the resource (shown as creationTimestamp / AGE). */
  createdAt: z.string(),
  conditions: z.array(Condition),
});
export type StatusEntry = z.infer<typeof StatusEntry>;

const StatusFile = z.object({
  version: z.literal(1),
  resources: z.record(z.string(), StatusEntry),
});

/** Reads the status file; an absent or corrupt file yields an empty map (and the reason, for the log). */
export async function readStatus(stateDir: string): Promise<{ entries: Map<string, StatusEntry>; warning?: string }> {
  const path = join(stateDir, STATUS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: new Map() };
    return { entries: new Map(), warning: `${path}: cannot read (${(err as Error).message}); starting with empty status` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { entries: new Map(), warning: `${path}: not JSON; starting with empty status` };
  }
  const parsed = StatusFile.safeParse(json);
  if (!parsed.success) return { entries: new Map(), warning: `${path}: unexpected content; starting with empty status` };
  return { entries: new Map(Object.entries(parsed.data.resources)) };
}

/** Serialises entries sorted by key, so unchanged status gives byte-identical files. */
export function renderStatus(entries: ReadonlyMap<string, StatusEntry>): string {
  const resources: Record<string, StatusEntry> = {};
  for (const key of [...entries.keys()].sort()) resources[key] = entries.get(key)!;
  return `${JSON.stringify({ version: 1, resources }, null, 2)}\n`;
}

/** Writes the status file atomically. */
export async function writeStatus(stateDir: string, text: string): Promise<void> {
  await writeFileAtomic(join(stateDir, STATUS_FILE), text);
}
