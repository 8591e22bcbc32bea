/**
 * @module The container label keys the operator reads: the one place their
 * spelling lives (decoder, did-you-mean hints, docs, tests), and the two
 * checks the watcher makes on a label set (ours at all? the selector?).
 */
import { RULE_LABEL_KEYS } from './rule-labels.ts';

/** Every operator label starts with this; other keys are ignored. */
export const LABEL_PREFIX = 'haproxy.';

export const LABEL_DOMAIN = 'haproxy.domain';
export const LABEL_PORT = 'haproxy.port';
export const LABEL_WEIGHT = 'haproxy.weight';
export const LABEL_NETWORK = 'haproxy.network';
export const LABEL_ADDRESS = 'haproxy.address';
export const LABEL_TLS = 'haproxy.tls';
export const LABEL_CHECK = 'haproxy.check';
export const LABEL_ENABLE = 'haproxy.enable';
/** How long requests wait while the domain has no server in service (restart, replace); 0 turns it off. */
export const LABEL_HOLD = 'haproxy.hold';
/** Path prefix of the container's route on its hosts (a path route: its own pool; longest prefix wins). */
export const LABEL_PATH = 'haproxy.path';

/** The known keys, in the order errors are reported. */
export const KNOWN_LABELS = [
  LABEL_DOMAIN,
  LABEL_PORT,
  LABEL_WEIGHT,
  LABEL_NETWORK,
  LABEL_ADDRESS,
  LABEL_TLS,
  LABEL_CHECK,
  LABEL_ENABLE,
  LABEL_HOLD,
  LABEL_PATH,
  ...RULE_LABEL_KEYS,
] as readonly string[];

/** Container port used when haproxy.port is absent. */
export const DEFAULT_CONTAINER_PORT = 80;

/** True when some label is one of ours (`haproxy.*`). */
export function hasOwnLabels(labels: Record<string, string> | null | undefined): boolean {
  return Object.keys(labels ?? {}).some((k) => k.startsWith(LABEL_PREFIX));
}

/** `key=value` -> its parts; the watcher's labelSelector option. */
export function parseSelector(selector: string | undefined): { key: string; value: string } | undefined {
  if (!selector) return undefined;
  const eq = selector.indexOf('=');
  if (eq <= 0) throw new Error(`labelSelector=${JSON.stringify(selector)}: expected key=value`);
  return { key: selector.slice(0, eq), value: selector.slice(eq + 1) };
}
