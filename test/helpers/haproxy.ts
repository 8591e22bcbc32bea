/**
 * @module Starts a real operator (managed HAProxy) for integration tests on
 * free ports with its own temporary state directory, and stops everything
 * it started, even when the test fails. Skips with a reason when haproxy is
 * not installed. `testEachHaproxy` / `describeEachHaproxy` register a test
 * once per HAProxy build (haproxy-versions.ts).
 */
import { execFileSync } from 'node:child_process';
import { describe, test, type TestContext, type TestOptions } from 'node:test';
import { haproxyVersions, type HaproxyVersion } from './haproxy-versions.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createLogger } from '../../src/log.ts';
import { resolveSettings, type Settings } from '../../src/config/settings.ts';
import { startOperator, type Operator } from '../../src/operator.ts';
import { commands } from '../../src/haproxy/commands.ts';
import { parseShowInfo } from '../../src/haproxy/parsers/show-info.ts';
import { freePort } from './ports.ts';

export { HAPROXY3_BIN, haproxyVersions, quicHaproxy, type HaproxyVersion } from './haproxy-versions.ts';

/** Why HAProxy tests cannot run here, or undefined when they can. */
export function haproxyMissing(): string | undefined {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'haproxy is not installed (apt-get install haproxy)';
  }
}

/** Registers `name` once per HAProxy version, named "HAProxy 2.6: name"; a missing version skips with its reason. */
export function testEachHaproxy(name: string, options: TestOptions, fn: (t: TestContext, haproxy: HaproxyVersion) => Promise<void>): void {
  for (const v of haproxyVersions()) test(`${v.label}: ${name}`, { ...options, skip: options.skip || v.missing || false }, (t) => fn(t, v));
}

/** The same for a describe block: `fn` registers the suite's hooks and tests for one version. */
export function describeEachHaproxy(name: string, options: TestOptions, fn: (haproxy: HaproxyVersion) => void): void {
  for (const v of haproxyVersions()) describe(`${v.label}: ${name}`, { ...options, skip: options.skip || v.missing || false }, () => fn(v));
}

export interface TestOperator {
  operator: Operator;
  settings: Settings;
  stateDir: string;
  httpPort: number;
  httpsPort: number;
  runtimePort: number;
  listenPort: number;
  /** HAProxy's current worker PID, read from `show info`. */
  workerPid(): Promise<number>;
  /** Stops the operator (and its HAProxy); removes the state dir unless keepState. */
  stop(opts?: { keepState?: boolean }): Promise<void>;
}

export interface TestOperatorOptions {
  pools?: number;
  slots?: number;
  /** Reuse a state directory (restart tests). */
  stateDir?: string;
  /** Extra flags, by option key. */
  flags?: Record<string, string>;
  logLevel?: string;
  /** Root logger to use instead of a silent one (tests that count log lines). */
  logger?: Logger;
  /** HAProxy build to manage (default: `haproxy` on the PATH). */
  haproxy?: HaproxyVersion;
}

/** Option values of a test operator in `stateDir`: every listener on a free loopback port, 5 pools, fast checks. */
export async function loopbackOperatorValues(stateDir: string) {
  const [httpPort, httpsPort, runtimePort, listenPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const values = {
    stateDir,
    bindAddress: '127.0.0.1',
    httpPort: String(httpPort),
    httpsPort: String(httpsPort),
    runtimeApi: `127.0.0.1:${runtimePort}`,
    listen: `127.0.0.1:${listenPort}`,
    pools: '5',
    checkInterval: '500',
  };
  return { values, httpPort, httpsPort, runtimePort, listenPort };
}

export async function startTestOperator(options: TestOperatorOptions = {}): Promise<TestOperator> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'hop-test-')));
  const { values, httpPort, httpsPort, runtimePort, listenPort } = await loopbackOperatorValues(stateDir);
  const settings = resolveSettings(
    {
      ...values,
      pools: String(options.pools ?? 5),
      slots: String(options.slots ?? 10),
      ...(options.haproxy ? { haproxyBin: options.haproxy.bin } : {}),
      ...options.flags,
    },
    {},
  );
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
  const operator = await startOperator(settings, logger);
  let stopped = false;
  return {
    operator,
    settings,
    stateDir,
    httpPort,
    httpsPort,
    runtimePort,
    listenPort,
    async workerPid() {
      const [reply] = await operator.runtime.execute([commands.showInfo()]);
      return parseShowInfo(reply ?? '').pid;
    },
    async stop(opts = {}) {
      if (stopped) return;
      stopped = true;
      await operator.stop();
      if (!opts.keepState && !options.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
