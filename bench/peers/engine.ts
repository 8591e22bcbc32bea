/**
 * @module What bench/peers drives: a proxy engine serving the workload's
 * hosts on one loopback port, told about each route change the way its
 * ecosystem's label proxy tells it, and stopped by PID.
 */
import type { Change, Model } from './model.ts';

export interface Engine {
  /** Row label: the engine and how it is driven. */
  readonly label: string;
  /** Plain-HTTP port that serves every host. */
  readonly httpPort: number;
  /**
   * Makes one change; resolves when the engine (or, for a debounced driver,
   * the driver) acknowledges it. `model` is the desired state after it.
   */
  apply(change: Change, model: Model): Promise<void>;
  /** Resolves when everything applied so far is live (a debounced driver's pending load). */
  settle(): Promise<void>;
  /** Config loads or reloads so far (0 for runtime changes). */
  reloads(): number;
  /** Stops every process it started, by PID; removes its files. */
  stop(): Promise<void>;
}

/** Starts an engine already serving `initial`. */
export type EngineFactory = (initial: Model) => Promise<Engine>;
