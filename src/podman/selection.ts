/** @module Which containers the watcher looks at: those with haproxy.* labels, and with --container-selector only those carrying that label. */
import { LABEL_PREFIX } from './label-keys.ts';

/** A key=value selector, or undefined when none is set; anything else throws naming labelSelector. */
export function parseSelector(selector: string | undefined): { key: string; value: string } | undefined {
  if (!selector) return undefined;
  const eq = selector.indexOf('=');
  if (eq <= 0) throw new Error(`labelSelector=${JSON.stringify(selector)}: expected key=value`);
  return { key: selector.slice(0, eq), value: selector.slice(eq + 1) };
}

/** True when the container carries at least one haproxy.* label. */
export function hasOwnLabels(labels: Record<string, string> | null | undefined): boolean {
  return Object.keys(labels ?? {}).some((k) => k.startsWith(LABEL_PREFIX));
}

/** True when there is no selector or the labels carry it. */
export function matchesSelector(selector: { key: string; value: string } | undefined, labels: Record<string, string> | null | undefined): boolean {
  return !selector || labels?.[selector.key] === selector.value;
}
