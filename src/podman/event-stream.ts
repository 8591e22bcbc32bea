/**
 * @module One subscription to Podman's container events: splits the JSON
 * lines, keeps only the actions the watcher cares about (client-side: Podman
 * 4.3's `event=` filter is broken, podman#16857), and reports the end of the
 * stream however it happens (killing the service gives `aborted`, not `end`).
 */
import type Dockerode from 'dockerode';

/** Actions that can change whether or where a container takes traffic. */
export const WATCHED_ACTIONS: ReadonlySet<string> = new Set([
  'start',
  'restart',
  'unpause',
  'pause',
  'died',
  'die',
  'health_status',
  'stop',
  'kill',
  'remove',
  'rename',
]);

/** The part of a Podman event the watcher uses. */
export interface ContainerEvent {
  id: string;
  action: string;
  /** Event time in seconds (for `since=` on reconnect). */
  time: number;
  /** Event time in ms (from the API's timeNano, or the log's Time): with the id and action it names the event. */
  atMs: number;
  /** When the line arrived here (ms since epoch), for latency measurements. */
  receivedAt: number;
  /** Where it was read: the API's stream, or Podman's events log (events-log.ts), whichever told first. */
  via: 'api' | 'log';
  attributes: Record<string, string>;
}

export interface EventStreamHandlers {
  onEvent(event: ContainerEvent): void;
  /** Called once, when the stream ends or fails; `error` is absent for a clean end. */
  onClose(error?: Error): void;
}

export interface EventSubscription {
  close(): void;
}

/** A JSON object from one line, or undefined for anything else (a torn line, a bare value). */
export function jsonObjectLine(line: string): object | undefined {
  try {
    const raw: unknown = JSON.parse(line);
    return raw !== null && typeof raw === 'object' ? raw : undefined;
  } catch {
    return undefined;
  }
}

/** Parses one JSON line of the events stream; undefined for lines that are not container events. */
export function parseEventLine(line: string, now: number): ContainerEvent | undefined {
  const raw = jsonObjectLine(line);
  if (!raw) return undefined;
  const e = raw as { Type?: string; Action?: string; status?: string; id?: string; time?: number; timeNano?: number; Actor?: { ID?: string; Attributes?: Record<string, string> } };
  if (e.Type !== undefined && e.Type !== 'container') return undefined;
  const id = e.Actor?.ID ?? e.id;
  const action = e.Action ?? e.status;
  if (!id || !action) return undefined;
  const time = typeof e.time === 'number' ? e.time : Math.floor(now / 1000);
  const atMs = typeof e.timeNano === 'number' ? Math.floor(e.timeNano / 1e6) : time * 1000;
  return { id, action, time, atMs, receivedAt: now, via: 'api', attributes: e.Actor?.Attributes ?? {} };
}

/**
 * Subscribes to container events since `since` (unix seconds; replays what
 * was missed). Resolves once the stream is open; rejects if it cannot be.
 */
export async function subscribeEvents(
  docker: Dockerode,
  since: number | undefined,
  handlers: EventStreamHandlers,
  now: () => number = Date.now,
): Promise<EventSubscription> {
  const options: { filters: Record<string, string[]>; since?: number } = { filters: { type: ['container'] } };
  if (since !== undefined) options.since = since;
  const stream = (await docker.getEvents(options)) as NodeJS.ReadableStream & { destroy?: (err?: Error) => void };
  let buffer = '';
  let closed = false;
  const finish = (err?: Error) => {
    if (closed) return;
    closed = true;
    handlers.onClose(err);
  };
  stream.on('data', (chunk: Buffer | string) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line === '') continue;
      const event = parseEventLine(line, now());
      if (event && WATCHED_ACTIONS.has(event.action)) handlers.onEvent(event);
    }
  });
  stream.on('error', (err: Error) => finish(err));
  stream.on('end', () => finish());
  stream.on('close', () => finish(new Error('events stream closed')));
  return {
    close() {
      closed = true;
      stream.removeAllListeners('data');
      stream.on('error', () => undefined);
      stream.destroy?.();
    },
  };
}
