/**
 * @module Kubernetes object names for exported objects: every name is a
 * DNS-1035 label (lowercase letters, digits and '-', starting with a letter,
 * at most 63 characters), which Services demand and every other kind
 * accepts, so one rule serves all. Names are derived from a host or a
 * container name alone; a name that had to be cut, or that another source
 * already took, gets a hash of its source key, so it does not depend on
 * which other objects exist.
 */
import { createHash } from 'node:crypto';

export const MAX_NAME = 63;
const HASH_LENGTH = 8;

function hashOf(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, HASH_LENGTH);
}

/** Cuts `base` so that `-suffix` fits within MAX_NAME, without leaving a trailing '-'. */
function withSuffix(base: string, suffix: string): string {
  return `${base.slice(0, MAX_NAME - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
}

/**
 * The DNS-1035 label for `text` (a host, a container name): lowercased, every
 * run of other characters becomes '-', a leading digit gets an 'x-' prefix;
 * longer than 63 characters: cut and suffixed with a hash of the whole text.
 */
export function kubeName(text: string): string {
  let name = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (name === '') name = 'x';
  if (!/^[a-z]/.test(name)) name = `x-${name}`;
  if (name.length > MAX_NAME) name = withSuffix(name, hashOf(text));
  return name;
}

/** Whether `name` is a DNS-1035 label of at most 63 characters. */
export function isKubeName(name: string): boolean {
  return name.length <= MAX_NAME && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name);
}

/**
 * Hands out names for one kind. Callers claim in a stable order (sorted by
 * source key); the first claimant of a name keeps it, a later one with a
 * different key gets the name plus a hash of its own key. Claiming the same
 * key twice returns the same name.
 */
export interface NameAllocator {
  claim(key: string, wanted: string): string;
}

export function createNameAllocator(): NameAllocator {
  const byName = new Map<string, string>();
  const byKey = new Map<string, string>();
  return {
    claim(key, wanted) {
      const known = byKey.get(key);
      if (known !== undefined) return known;
      let name = kubeName(wanted);
      if (byName.has(name)) name = withSuffix(name, hashOf(key));
      // A hash collision on top of a name collision: count on, still in claim order.
      for (let i = 2; byName.has(name); i++) name = withSuffix(kubeName(wanted), `${hashOf(key)}-${i}`);
      byName.set(name, key);
      byKey.set(key, name);
      return name;
    },
  };
}

/** Code-point order: the same on every machine and locale (localeCompare is not). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
