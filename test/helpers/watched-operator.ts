/**
 * @module A describe block's operator that watches this run's Podman
 * containers: the Podman harness, a test operator and a container watcher
 * scoped to the run's label, started in `before` and stopped in reverse in
 * `after` (even when a test failed). The suites of labels and redeploys
 * share it.
 */
import { after, before } from 'node:test';
import type { Logger } from 'pino';
import { createContainerWatcher, type ContainerWatcher, type WatcherDeps } from '../../src/podman/watcher.ts';
import { existingDefaultEventsLog } from '../../src/podman/events-log.ts';
import { startTestOperator, type TestOperator, type TestOperatorOptions } from './haproxy.ts';
import { startPodmanHarness, TEST_LABEL, type PodmanHarness } from './podman.ts';
import { recordingLogger } from '../podman/recording-logger.ts';

export interface WatchedOperator {
  h: PodmanHarness;
  op: TestOperator;
  watcher: ContainerWatcher;
}

type WatcherOptions = Partial<Omit<WatcherDeps, 'ops' | 'socketPath' | 'labelSelector' | 'logger'>>;

/** Podman's events log as the operator follows it by default, when this machine has one: watcher options. */
export function eventsLogIfAny(): { eventsLog?: string } {
  const eventsLog = existingDefaultEventsLog();
  return eventsLog ? { eventsLog } : {};
}

/** Registers the hooks; the returned object is filled in by `before`. */
export function useWatchedOperator(options: TestOperatorOptions & { watcher?: WatcherOptions; logger?: Logger }): WatchedOperator {
  const suite = {} as WatchedOperator;
  before(async () => {
    suite.h = await startPodmanHarness();
    suite.op = await startTestOperator(options);
    suite.watcher = createContainerWatcher({
      logger: options.logger ?? recordingLogger(),
      ops: suite.op.operator.ops,
      socketPath: suite.h.socketPath,
      labelSelector: `${TEST_LABEL}=${suite.h.runId}`,
      ...eventsLogIfAny(),
      ...options.watcher,
    });
    await suite.watcher.start();
  });
  after(async () => {
    await suite.watcher?.stop();
    await suite.op?.stop();
    await suite.h?.cleanup();
  });
  return suite;
}
