/**
 * @module Health of the parts the operator depends on (Podman watcher,
 * HAProxy, resources directory): each is checked periodically; a part that
 * is down makes /readyz answer 503 naming it, is logged at warn when it goes
 * down and again at most every `repeatMs` while it stays down, shows as 0 in
 * haproxy_operator_part_up{part}, and its recovery is logged at info.
 */
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';

export interface PartCheck {
  part: string;
  /** Resolves a reason when the part is down, undefined when it is up. */
  check(): Promise<string | undefined> | string | undefined;
  /** Cheap and synchronous: also evaluated at each readiness(), so /readyz sees a short outage a poll could miss. */
  live?: boolean;
}

export interface PartState {
  part: string;
  up: boolean;
  reason?: string;
  /** When it went down (ms since epoch). */
  since?: number;
}

export interface Health {
  add(check: PartCheck): void;
  /** Checks every part once now (also done every intervalMs once started). */
  poll(): Promise<void>;
  start(): void;
  stop(): void;
  states(): PartState[];
  /** true when every part is up, else the text /readyz answers ("podman: ...; haproxy: ..."). */
  readiness(): true | string;
}

export interface HealthDeps {
  logger: Logger;
  registry?: Registry;
  intervalMs?: number;
  repeatMs?: number;
  now?: () => number;
}

export function createHealth(deps: HealthDeps): Health {
  const now = deps.now ?? Date.now;
  const repeatMs = deps.repeatMs ?? 300_000;
  const checks: PartCheck[] = [];
  const states = new Map<string, PartState & { warnedAt?: number }>();
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;

  if (deps.registry) {
    new Gauge({
      name: 'haproxy_operator_part_up',
      help: 'Whether a part the operator depends on is up (1) or down (0): podman, haproxy, resources',
      labelNames: ['part'],
      registers: [deps.registry],
      collect() {
        for (const s of states.values()) this.set({ part: s.part }, s.up ? 1 : 0);
      },
    });
  }

  function record(part: string, reason: string | undefined): void {
    const at = now();
    const prev = states.get(part) ?? { part, up: true };
    if (reason === undefined) {
      if (!prev.up) deps.logger.info({ part, downForMs: at - (prev.since ?? at) }, `${part} recovered`);
      states.set(part, { part, up: true });
      return;
    }
    if (prev.up) {
      deps.logger.warn({ part, reason }, `${part} is down: ${reason}`);
      states.set(part, { part, up: false, reason, since: at, warnedAt: at });
      return;
    }
    const next = { ...prev, reason };
    if (at - (prev.warnedAt ?? 0) >= repeatMs) {
      deps.logger.warn({ part, reason, downForMs: at - (prev.since ?? at) }, `${part} is still down: ${reason}`);
      next.warnedAt = at;
    }
    states.set(part, next);
  }

  async function runChecks(): Promise<void> {
    await Promise.all(
      checks.map(async (c) => {
        let reason: string | undefined;
        try {
          reason = await c.check();
        } catch (error) {
          reason = (error as Error).message;
        }
        record(c.part, reason);
      }),
    );
  }

  const health: Health = {
    add(check) {
      checks.push(check);
      states.set(check.part, { part: check.part, up: true });
    },
    poll() {
      // A slow check (an HAProxy that does not answer) must not pile up polls.
      polling ??= runChecks().finally(() => (polling = undefined));
      return polling;
    },
    start() {
      timer ??= setInterval(() => void health.poll(), deps.intervalMs ?? 1000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    states: () => [...states.values()].map(({ warnedAt: _w, ...s }) => s),
    readiness() {
      for (const c of checks) {
        if (!c.live) continue;
        const reason = c.check();
        if (typeof reason !== 'object') record(c.part, reason);
      }
      const down = [...states.values()].filter((s) => !s.up);
      return down.length === 0 ? true : down.map((s) => `${s.part}: ${s.reason}`).join('; ');
    },
  };
  return health;
}
