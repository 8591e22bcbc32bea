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
  close(): void;
}

/** Where Podman writes its events log by default: root's tmp_dir, or the rootless one under XDG_RUNTIME_DIR. */
export function defaultEventsLogPaths(env: NodeJS.ProcessEnv, uid: number): string[] {
  if (uid === 0) return ['/run/libpod/events/events.log'];
  return env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'libpod/tmp/events/events.log')] : [];
}

/** The default log that exists on this machine, if any: what `--podman-events-log auto` follows. */
export function existingDefaultEventsLog(env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? 0): string | undefined {
  return defaultEventsLogPaths(env, uid).find((p) => existsSync(p));
}

/** One line of the log (`{"ID":…,"Status":"start","Time":"…","Type":"container","Attributes":{…}}`), or undefined. */
export function parseLogLine(line: string, now: number): ContainerEvent | undefined {
  const raw = jsonObjectLine(line);
  if (!raw) return undefined;
  const e = raw as { ID?: unknown; Status?: unknown; Type?: unknown; Time?: unknown; Attributes?: unknown };
  if (e.Type !== 'container' || typeof e.ID !== 'string' || typeof e.Status !== 'string' || !WATCHED_ACTIONS.has(e.Status)) return undefined;
  const at = typeof e.Time === 'string' ? Date.parse(e.Time) : NaN;
  const attributes = e.Attributes && typeof e.Attributes === 'object' ? (e.Attributes as Record<string, string>) : {};
  return { id: e.ID, action: e.Status, time: Math.floor((Number.isNaN(at) ? now : at) / 1000), receivedAt: now, via: 'log', attributes };
}

/**
 * Follows `path` from its current end, calling `onEvent` for each container
 * event appended. Resolves undefined (after saying why, once) when the file
 * cannot be read; a truncated or rotated log is followed from its start.
 */
export async function followEventsLog(path: string, onEvent: (event: ContainerEvent) => void, log: Logger, now: () => number = Date.now): Promise<EventsLog | undefined> {
  let handle: FileHandle;
  let offset: number;
  try {
    handle = await open(path, 'r');
    offset = (await handle.stat()).size;
  } catch (err) {
    log.info({ eventsLog: path, error: (err as Error).message }, 'Podman events log not readable: container events arrive through the API alone (1 to 250 ms later)');
    return undefined;
  }
  let partial = '';
  let reading = false;
  let again = false;
  let closed = false;
  let watcher: FSWatcher | undefined;

  async function reopen(): Promise<void> {
    await handle.close().catch(() => undefined);
    handle = await open(path, 'r');
    offset = 0;
    partial = '';
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
        if (named.ino !== held.ino || held.size < offset) await reopen();
        const size = (await handle.stat()).size;
        if (size <= offset) continue;
        const buf = Buffer.alloc(size - offset);
        const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
        offset += bytesRead;
        const lines = (partial + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
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
      watcher?.close();
    });
  } catch (err) {
    await handle.close().catch(() => undefined);
    log.info({ eventsLog: path, error: (err as Error).message }, 'Podman events log cannot be watched: container events arrive through the API alone');
    return undefined;
  }
  log.info({ eventsLog: path }, "following Podman's events log: container events are acted on as Podman writes them");
  return {
    close() {
      closed = true;
      watcher?.close();
      void handle.close().catch(() => undefined);
    },
  };
}

/**
 * Recognises the API's copy of an event the log already delivered, so it
 * is not inspected twice. A copy that never comes (the compat API renames
 * some actions) is forgotten after `ttlMs`; an unrecognised copy is only an
 * extra inspect.
 */
export function createEchoFilter(now: () => number = Date.now, ttlMs = 2000): { note(event: ContainerEvent): void; isEcho(event: ContainerEvent): boolean } {
  const seen = new Map<string, number[]>();
  const key = (e: ContainerEvent) => `${e.id}:${e.action === 'died' ? 'die' : e.action}`;
  return {
    note(event) {
      const at = seen.get(key(event)) ?? [];
      at.push(now());
      seen.set(key(event), at);
    },
    isEcho(event) {
      const k = key(event);
      const fresh = (seen.get(k) ?? []).filter((t) => now() - t <= ttlMs);
      const echo = fresh.length > 0;
      if (echo) fresh.shift();
      if (fresh.length > 0) seen.set(k, fresh);
      else seen.delete(k);
      if (seen.size > 1000) for (const [k2, ts] of seen) if (ts.every((t) => now() - t > ttlMs)) seen.delete(k2);
      return echo;
    },
  };
}
