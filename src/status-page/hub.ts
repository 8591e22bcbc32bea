/**
 * @module The status page's live feed: keeps the last snapshot and pushes a
 * new one to every connected event stream when it differs. It rebuilds on
 * notify() (a change made through this process) and on a cheap tick while at
 * least one stream is open (containers, HAProxy health and renewals change
 * without going through the HTTP listener); with no stream open nothing runs.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { fingerprint, type StatusSnapshot } from './snapshot.ts';

export interface StatusHub {
  /** The current snapshot, rebuilt when older than the tick. */
  current(): Promise<StatusSnapshot>;
  /** Streams snapshots to `res` (already answered 200 text/event-stream) until it closes. */
  attach(res: ServerResponse): void;
  /** Something changed: rebuild soon and push if different. */
  notify(): void;
  clients(): number;
  stop(): void;
}

export interface StatusHubDeps {
  build: () => Promise<StatusSnapshot>;
  logger: Logger;
  /** Rebuild period while a stream is open; default 1000 ms. */
  tickMs?: number;
  /** A comment line this often keeps idle proxies from closing the stream; default 15 s. */
  keepAliveMs?: number;
}

export function createStatusHub(deps: StatusHubDeps): StatusHub {
  const log = deps.logger.child({ module: 'status-page' });
  const tickMs = deps.tickMs ?? 1000;
  const keepAliveMs = deps.keepAliveMs ?? 15_000;
  /** Each open stream with the fingerprint it was last sent, so no stream gets the same snapshot twice. */
  const streams = new Map<ServerResponse, string | undefined>();
  let last: { snapshot: StatusSnapshot; print: string; at: number } | undefined;
  let building: Promise<StatusSnapshot> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let lastWrite = Date.now();

  function send(res: ServerResponse, snapshot: StatusSnapshot, print: string): void {
    if (!streams.has(res) || streams.get(res) === print) return;
    streams.set(res, print);
    res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
  }

  /** One build at a time; a request during a build runs one more build after it. */
  function rebuild(): Promise<StatusSnapshot> {
    if (building) {
      again = true;
      return building;
    }
    building = (async () => {
      try {
        do {
          again = false;
          const snapshot = await deps.build();
          const print = fingerprint(snapshot);
          const changed = print !== last?.print;
          last = { snapshot, print, at: Date.now() };
          if (changed) {
            for (const res of streams.keys()) send(res, snapshot, print);
            lastWrite = Date.now();
          }
        } while (again);
        return last.snapshot;
      } finally {
        building = undefined;
      }
    })();
    return building;
  }

  function tick(): void {
    rebuild().catch((err: unknown) => log.warn({ err }, 'status snapshot failed'));
    if (Date.now() - lastWrite >= keepAliveMs) {
      for (const res of streams.keys()) res.write(': keep-alive\n\n');
      lastWrite = Date.now();
    }
  }

  function startTicking(): void {
    if (timer) return;
    timer = setInterval(tick, tickMs);
    timer.unref();
  }

  function stopTicking(): void {
    if (timer) clearInterval(timer);
    timer = undefined;
  }

  async function current(): Promise<StatusSnapshot> {
    if (!last || Date.now() - last.at >= tickMs) await rebuild();
    return last!.snapshot;
  }

  return {
    current,
    attach(res) {
      streams.set(res, undefined);
      res.once('close', () => {
        streams.delete(res);
        if (streams.size === 0) stopTicking();
      });
      res.write('retry: 2000\n\n');
      startTicking();
      current().then(
        () => send(res, last!.snapshot, last!.print),
        (err: unknown) => log.warn({ err }, 'status snapshot failed'),
      );
    },
    notify() {
      rebuild().catch((err: unknown) => log.warn({ err }, 'status snapshot failed'));
    },
    clients: () => streams.size,
    stop() {
      stopTicking();
      for (const res of streams.keys()) res.end();
      streams.clear();
    },
  };
}
