/**
 * @module Which resources count in a reconcile and which generation each has:
 * the last valid version of a resource whose manifest turned invalid stays in
 * force (as the API server keeps the stored object when an update is
 * rejected), and a manifest without metadata.generation gets one that grows
 * whenever its spec changes.
 */
import { createHash } from 'node:crypto';
import { resourceKey, type Resource } from '../model/resources.ts';
import type { LoadedResource, ManifestProblem } from './load.ts';

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Short hash of a spec, independent of key order. */
export function specHash(r: Resource): string {
  return createHash('sha256').update(stableJson(r.spec)).digest('hex').slice(0, 16);
}

/** `Domain/web`. */
export function keyOf(r: Resource): string {
  return resourceKey(r.kind, r.metadata.name);
}

/** Resources of the previous round whose file now fails to parse keep running as they were (Kubernetes keeps the stored object when an update is rejected). */
export function keepLastGood(
  previous: ReadonlyMap<string, LoadedResource>,
  fresh: readonly LoadedResource[],
  problems: readonly ManifestProblem[],
): { effective: LoadedResource[]; invalid: Map<string, ManifestProblem[]> } {
  const effective = [...fresh];
  const freshKeys = new Set(fresh.map((f) => keyOf(f.resource)));
  const invalid = new Map<string, ManifestProblem[]>();
  for (const [key, prev] of previous) {
    if (freshKeys.has(key)) continue;
    const mine = problems.filter((p) => p.resource === key || (p.resource === undefined && p.file === prev.file && p.index === prev.index));
    const fileBroken = problems.some((p) => p.file === prev.file && p.field === '(yaml)');
    if (mine.length === 0 && !fileBroken) continue;
    effective.push(prev);
    invalid.set(key, mine.length > 0 ? mine : problems.filter((p) => p.file === prev.file));
  }
  return { effective, invalid };
}

/** The generation of `r`: metadata.generation if set, else the previous one, plus one when the spec changed. */
export function nextGeneration(r: Resource, prev: { generation: number; specHash: string } | undefined): { generation: number; specHash: string } {
  const hash = specHash(r);
  const derived = prev ? (prev.specHash === hash ? prev.generation : prev.generation + 1) : 1;
  return { generation: r.metadata.generation ?? derived, specHash: hash };
}
