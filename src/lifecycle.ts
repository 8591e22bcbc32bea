/**
 * @module The operator's life from start to exit: every part registers how
 * to stop it the moment it exists (before a child process is spawned), so a
 * signal at any moment of start-up or shutdown stops exactly what was
 * started. A second signal forces: children are SIGKILLed by PID at once.
 */
import { OperatorError } from './model/errors.ts';

export type StopStep = () => Promise<void> | void;

/** Thrown by `check()` once a stop was requested: the start unwinds. */
export class StartAborted extends OperatorError {
  constructor() {
    super('start-up interrupted by a stop request');
  }
}

export interface Lifecycle {
  /** Aborted once stop() or force() was called. */
  readonly signal: AbortSignal;
  /** True when the start failed (not a stop request): an adopted HAProxy is then left serving. */
  readonly startFailed: boolean;
  /** Registers a shutdown step; steps run in reverse order. During or after a stop it runs at once. */
  onStop(step: StopStep): void;
  /** Registers a synchronous kill of a child process, for a forced stop. */
  onForce(kill: () => void): void;
  /** Throws StartAborted when a stop was requested (call between start-up steps). */
  check(): void;
  /** Marks the start as failed; the stop that follows keeps what must keep serving. */
  markStartFailed(): void;
  /** Runs every step (also ones registered while it runs); concurrent calls share the run. */
  stop(): Promise<void>;
  /** SIGKILLs every registered child now; for a second signal. */
  force(): void;
}

export function createLifecycle(onError: (error: unknown) => void = () => undefined): Lifecycle {
  const controller = new AbortController();
  const steps: StopStep[] = [];
  const kills: Array<() => void> = [];
  let running: Promise<void> | undefined;
  let failed = false;

  async function drain(): Promise<void> {
    while (steps.length > 0) {
      const step = steps.pop()!;
      try {
        await step();
      } catch (error) {
        onError(error);
      }
    }
  }

  const life: Lifecycle = {
    signal: controller.signal,
    get startFailed() {
      return failed;
    },
    onStop(step) {
      steps.push(step);
      // Registered after a stop began: whatever it started must not outlive us.
      if (controller.signal.aborted) void life.stop();
    },
    onForce: (kill) => void kills.push(kill),
    check() {
      if (controller.signal.aborted) throw new StartAborted();
    },
    markStartFailed: () => void (failed = true),
    stop() {
      if (!controller.signal.aborted) controller.abort();
      running ??= drain().finally(() => (running = undefined));
      return running;
    },
    force() {
      if (!controller.signal.aborted) controller.abort();
      for (const kill of kills.splice(0)) {
        try {
          kill();
        } catch (error) {
          onError(error);
        }
      }
    },
  };
  return life;
}
