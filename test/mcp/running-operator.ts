/**
 * @module Starts the whole operator as `haproxy-operator run` wires it
 * (runOperator: managed HAProxy, resources controller, HTTP listener with
 * /mcp and /api/v1), on free loopback ports and a temp state directory,
 * without Podman. For tests of the defaults a new user gets.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import pino from 'pino';
import { resolveSettings, type Settings } from '../../src/config/settings.ts';
import { ALL_OPTIONS } from '../../src/config/options.ts';
import { runOperator, type Running } from '../../src/wiring/run.ts';
import { loopbackOperatorValues } from '../helpers/haproxy.ts';

export interface RunningOperator {
  running: Running;
  settings: Settings;
  stateDir: string;
  listen: string;
  httpPort: number;
  /** Stops the operator; removes the state dir unless it was given or keepState. */
  stop(opts?: { keepState?: boolean }): Promise<void>;
}

export async function startRunningOperator(opts: { stateDir?: string; flags?: Record<string, string>; logger?: Logger; cwd?: string } = {}): Promise<RunningOperator> {
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'hop-run-')));
  const { values, httpPort } = await loopbackOperatorValues(stateDir);
  const listen = values.listen;
  const settings = resolveSettings(
    {
      ...values,
      containers: 'false',
      ...opts.flags,
    },
    {},
    opts.cwd ?? stateDir,
    ALL_OPTIONS,
  );
  const running = await runOperator(settings, opts.logger ?? pino({ level: 'silent' }));
  let stopped = false;
  return {
    running,
    settings,
    stateDir,
    listen,
    httpPort,
    async stop(o = {}) {
      if (stopped) return;
      stopped = true;
      await running.stop();
      if (!o.keepState && !opts.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
