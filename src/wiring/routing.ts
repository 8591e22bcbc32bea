/**
 * @module Connects the routing core: the HAProxy adapter over the runtime
 * client, the reconcile runner (saving through the state store, applying
 * through the adapter) and the operations layer in front of it.
 */
import type { Logger } from 'pino';
import { createHaproxyAdapter, type MapFiles } from '../haproxy/adapter.ts';
import type { RuntimeClient } from '../haproxy/runtime-client.ts';
import type { HaproxyAdapter } from '../model/haproxy.ts';
import type { Capacity, DesiredState } from '../model/state.ts';
import { createOperations } from '../operations/operations.ts';
import type { Operations } from '../operations/types.ts';
import { createRunner, type PassReport, type Runner } from '../reconcile/runner.ts';
import type { StateStore } from '../store/state-store.ts';

export interface RoutingDeps {
  store: StateStore;
  runtime: RuntimeClient;
  files: MapFiles;
  capacity: Capacity;
  initialState: DesiredState;
  logger: Logger;
  /** Called after every pass, for metrics. */
  onPass?: (report: PassReport) => void;
}

export interface Routing {
  ops: Operations;
  runner: Runner;
  haproxy: HaproxyAdapter;
}

export function createRouting(deps: RoutingDeps): Routing {
  const haproxy = createHaproxyAdapter({ runtime: deps.runtime, files: deps.files, logger: deps.logger.child({ module: 'haproxy' }) });
  const runner = createRunner({
    initial: deps.initialState,
    save: (state) => deps.store.save(state),
    haproxy,
    log: deps.logger.child({ module: 'reconcile' }),
    ...(deps.onPass ? { onPass: deps.onPass } : {}),
  });
  const ops = createOperations({ runner, haproxy, capacity: deps.capacity, logger: deps.logger.child({ module: 'operations' }) });
  return { ops, runner, haproxy };
}
