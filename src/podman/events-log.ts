/**
 * @module Podman's events log as an early notice. With the file events
 * logger, the API's event stream tails the log by polling every 250 ms, so
 * an event reaches API clients 1 to 250 ms (mostly ~150 ms) after it was
 * written; an inotify watch on the file sees it at once. The watcher treats
 * what is read here as a hint (mark the id dirty, inspect): the API stream
 * stays the source of truth for `since=` and reconnects, so a log that is
 * missing, unreadable, rotated or in a format we do not know costs only the
 * head start.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { jsonObjectLine, WATCHED_ACTIONS, type ContainerEvent } from './event-stream.ts';

export interface EventsLog {
  /** Whether the log is open and watched now (not while waiting for it to appear). */
  following(): boolean;
  close(): void;
}

/** Where Podman writes its events log by default (what `--podman-events-log auto` follows): root's tmp_dir, or the rootless one under XDG_RUNTIME_DIR; undefined rootless without it. */
export function defaultEventsLogPath(env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? 0): string | undefined {
  if (uid === 0) return '/run/libpod/events/events.log';
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'libpod/tmp/events/events.log') : undefined;
}

/** The default log if it exists now (tests and benches, which run after Podman has written it). */
export function existingDefaultEventsLog(): string | undefined {
  const path = defaultEventsLogPath();
  return path && existsSync(path) ? path : undefined;
}

/** One line of the log (`{"ID":…,"Status":"start","Time":"…","Type":"container","Attributes":{…}}`), or undefined. */
export function parseLogLine(line: string, now: number): ContainerEvent | undefined {
  const raw = jsonObjectLine(line);
  if (!raw) return undefined;
  const e = raw as { ID?: unknown; Status?: unknown; Type?: unknown; Time?: unknown; Attributes?: unknown };
  if (e.Type !== 'container' || typeof e.ID !== 'string' || typeof e.Status !== 'string' || !WATCHED_ACTIONS.has(e.Status)) return undefined;
  const at = typeof e.Time === 'string' ? Date.parse(e.Time) : NaN;
  const attributes = e.Attributes && typeof e.Attributes === 'object' ? (e.Attributes as Record<string, string>) : {};
  const atMs = Number.isNaN(at) ? now : at;
  return { id: e.ID, action: e.Status, time: Math.floor(atMs / 1000), atMs, receivedAt: now, via: 'log', attributes };
}

/**
 * Follows `path` from its current end, calling `onEvent` for each container
 * event appended; a truncated or rotated log is followed from where it left
 * off. A log that is not there (Podman writes it at its first event on a
 * fresh host) or not readable is said once and tried again every `retryMs`
 * until it opens: meanwhile events come through the API alone.
 */
export async function followEventsLog(
  path: string,
  onEvent: (event: ContainerEvent) => void,
  log: Logger,
  now: () => number = Date.now,
  retryMs = 5000,
): Promise<EventsLog> {
  let follower: EventsLog | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let said = false;
  const attempt = async (): Promise<void> => {
    retry = undefined;
    const opened = await openFollower(path, onEvent, log, now).catch((err: Error) => err);
    if (!(opened instanceof Error)) {
      if (closed) opened.close();
      else follower = opened;
      return;
    }
    if (closed) return;
    if (!said) log.info({ eventsLog: path, error: opened.message, retryInMs: retryMs }, 'Podman events log not readable (yet): container events come through the API stream alone until it is (there is no such log when Podman logs events to journald)');
    said = true;
    retry = setTimeout(() => void attempt(), retryMs);
    retry.unref();
  };
  await attempt();
  return {
    following: () => follower !== undefined,
    close() {
      closed = true;
      if (retry) clearTimeout(retry);
      follower?.close();
    },
  };
}

async function openFollower(path: string, onEvent: (event: ContainerEvent) => void, log: Logger, now: () => number): Promise<EventsLog> {
  let handle: FileHandle = await open(path, 'r');
  let offset = (await handle.stat()).size;
  let partial = '';
  /** The last whole line read: a rotation keeps the newer half of the log, which is read again only after it. */
  let lastLine = await lastLineBefore(handle, offset);
  let resumeAfter: string | undefined;
  let reading = false;
  let again = false;
  let closed = false;
  let watcher: FSWatcher | undefined;

  async function reopen(): Promise<void> {
    await handle.close().catch(() => undefined);
    handle = await open(path, 'r');
    offset = 0;
    partial = '';
    resumeAfter = lastLine;
  }

  async function readNew(): Promise<void> {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        // Rotated (a new file under the name) or truncated: start over on the file there now.
        const [named, held] = await Promise.all([stat(path), handle.stat()]);
        const rotated = named.ino !== held.ino || held.size < offset;
        if (rotated) await reopen();
        const size = rotated ? (await handle.stat()).size : held.size;
        if (size <= offset) continue;
        const buf = Buffer.alloc(size - offset);
        const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
        offset += bytesRead;
        let lines = (partial + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        if (resumeAfter !== undefined) {
          // Podman's rotation copies the newer half of the old log into the new file: those events were handled.
          const seen = lines.lastIndexOf(resumeAfter);
          if (seen >= 0) lines = lines.slice(seen + 1);
          resumeAfter = undefined;
        }
        for (let i = lines.length - 1; i >= 0; i--) {
          if (lines[i]!.trim()) {
            lastLine = lines[i]!;
            break;
          }
        }
        const t = now();
        for (const line of lines) {
          const event = line.trim() ? parseLogLine(line, t) : undefined;
          if (event && !closed) onEvent(event);
        }
      } while (again && !closed);
    } catch (err) {
      // The file went away between two writes (rotation): the next change reads it again.
      log.debug({ eventsLog: path, error: (err as Error).message }, 'events log read failed');
    } finally {
      reading = false;
    }
  }

  try {
    // The directory, not the file: a rotation replaces the file, and a watch on the old inode would go quiet.
    watcher = watch(dirname(path), (_kind, name) => {
      if (!closed && (name === null || name === basename(path))) void readNew();
    });
    watcher.on('error', (err) => {
      log.info({ eventsLog: path, error: err.message }, 'Podman events log watch failed: container events arrive through the API alone');
      closed = true;
      watcher?.close();
      void handle.close().catch(() => undefined);
    });
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  log.info({ eventsLog: path }, "following Podman's events log: container events are acted on as Podman writes them");
  return {
    following: () => !closed,
    close() {
      closed = true;
      watcher?.close();
      void handle.close().catch(() => undefined);
    },
  };
}

/** The last whole line before `end` (from at most the last 64 KiB), or undefined for an empty file. */
async function lastLineBefore(handle: FileHandle, end: number): Promise<string | undefined> {
  const start = Math.max(0, end - 65_536);
  const buf = Buffer.alloc(end - start);
  const { bytesRead } = await handle.read(buf, 0, buf.length, start);
  return buf
    .subarray(0, bytesRead)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim())
    .pop();
}

/**
 * Each container event once, whichever source tells it: Podman's events
 * log, the API's stream, or the API's replays (after `since=` on a
 * reconnect, and of the half of its log Podman keeps when it rotates it,
 * which its API reads again; seen here). An event is its container, its
 * action (the compat API's `die` is the log's `died`) and its time to the
 * millisecond, which both sources read from the same log record. The record
 * keeps the last `size` events.
 */
export function createSeenEvents(size = 20_000): { first(event: ContainerEvent): { first: true } | { first: false; via: ContainerEvent['via'] } } {
  const seen = new Map<string, ContainerEvent['via']>();
  return {
    first(event) {
      const key = `${event.id}:${event.action === 'died' ? 'die' : event.action}:${event.atMs}`;
      const via = seen.get(key);
      if (via !== undefined) return { first: false, via };
      seen.set(key, event.via);
      if (seen.size > size) seen.delete(seen.keys().next().value!);
      return { first: true };
    },
  };
}
