/**
 * @module Who asked for a change, carried through async calls: the MCP tool
 * kit and the HTTP API run a call inside `withActor`, and the operations
 * layer names that actor in its change log line. AsyncLocalStorage keeps the
 * operations API's signatures free of a caller argument every source would
 * have to pass along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const actors = new AsyncLocalStorage<string>();

/** Runs `fn` with `actor` (e.g. `mcp:127.0.0.1 haproxy_add_domain`) as the current actor. */
export function withActor<T>(actor: string, fn: () => Promise<T>): Promise<T> {
  return actors.run(actor, fn);
}

/** The actor of the call being served, if a source set one. */
export function currentActor(): string | undefined {
  return actors.getStore();
}
