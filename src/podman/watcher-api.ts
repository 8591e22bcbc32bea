/**
 * @module What the container watcher takes and offers (its implementation
 * is watcher.ts).
 */
import type { Logger } from 'pino';
import type { Operations, SourceServer } from '../operations/types.ts';
import type { ContainerEvent } from './event-stream.ts';
import type { ContainerReport, WatcherStats } from './report.ts';
import type { RouteTrackerOptions } from './route-tracker.ts';

/** The part of Operations the watcher calls. */
export type WatcherOperations = Pick<Operations, 'syncSource' | 'health' | 'getDomain'>;

export interface WatcherDeps {
  logger: Logger;
  ops: WatcherOperations;
  socketPath: string;
  /** Only containers carrying this `key=value` label are considered (tests; several operators on one host). */
  labelSelector?: string;
  /** Full list this often, besides every (re)connect (default 30000 ms). */
  resyncIntervalMs?: number;
  /** Events are gathered this long before one inspect+sync (default 5 ms). */
  debounceMs?: number;
  /** A stopping container's servers stay in drain at most this long (default 10000 ms). */
  drainTimeoutMs?: number;
  drainPollMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
  /** Podman's events log, followed for an early notice of events (the API's stream lags it by up to 250 ms). */
  eventsLog?: string;
  /** Called for every watched container event as it arrives, once (from the log or the API, whichever is first). */
  onEvent?: (event: ContainerEvent) => void;
  /** Called for an API event already handled (told first by the events log, or replayed by Podman): it is not handled again. */
  onEcho?: (event: ContainerEvent) => void;
  /** Called after each successful sync (latency measurements, tests). */
  onSynced?: (info: { at: number; servers: SourceServer[]; trigger?: ContainerEvent }) => void;
  /** Backoff of the retries of a started container that is not routed yet (default 100 ms doubling to 2000 ms). */
  routeRetry?: RouteTrackerOptions;
}

export interface ContainerWatcher {
  /** Connects (or schedules reconnects) and resolves after the first attempt. */
  start(): Promise<void>;
  /** Stops the stream and timers; leaves the servers as they are. */
  stop(): Promise<void>;
  /** Every container with haproxy.* labels the watcher knows, in name order. */
  listContainers(): ContainerReport[];
  /** One container by full id, id prefix (3+ chars) or name; inspects live, so unlabelled ones explain too. */
  explainContainer(idOrName: string): Promise<ContainerReport | undefined>;
  stats(): WatcherStats;
  /** Requests a full list now and resolves when it was synced. */
  resync(): Promise<void>;
  /** Retries now instead of after the backoff (the API service was just replaced); connecting lists everything. */
  reconnect(): void;
}
