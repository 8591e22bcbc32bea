/**
 * @module Calls `notify` after every mutating call of the operations API
 * made through a wrapped object (MCP tools and the HTTP API get the wrapped
 * one), so the status page pushes a change the moment it is applied instead
 * of at its next tick. Reads pass through untouched.
 */
import type { Operations } from '../operations/types.ts';

const MUTATING = new Set<string>(['addDomain', 'removeDomain', 'addServer', 'removeServer', 'setServerState', 'setServerWeight', 'clearOverride', 'syncSource', 'restore']);

export function withChangeNotice<T extends Partial<Operations>>(ops: T, notify: () => void): T {
  return new Proxy(ops, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || !MUTATING.has(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        // Success or failure: a failed call may still have saved part of a change.
        void Promise.resolve(result).finally(notify).catch(() => undefined);
        return result;
      };
    },
  });
}
