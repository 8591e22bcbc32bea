/**
 * @module Starts a real operator (managed HAProxy) for integration tests on
 * free ports with its own temporary state directory, and stops everything
 * it started, even when the test fails. Skips with a reason when haproxy is
 * not installed. `haproxyVersions()` lists the HAProxy builds every HAProxy
 * suite runs against (Debian 12's 2.6 and the cached Debian 13 3.0).
 */
import { execFileSync } from 'node:child_process';
import { describe, test, type TestContext, type TestOptions } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseCapabilities, type HaproxyCapabilities } from '../../src/haproxy/capabilities.ts';
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

/** Why HAProxy tests cannot run here, or undefined when they can. */
export function haproxyMissing(): string | undefined {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'haproxy is not installed (apt-get install haproxy)';
  }
}

export interface HaproxyVersion {
  /** "HAProxy 2.6" / "HAProxy 3.0": put it in test names. */
  label: string;
  bin: string;
  caps: HaproxyCapabilities;
  /** Why this version cannot run here (then skip with it), or undefined. */
  missing?: string;
}

/** Debian 13's HAProxy 3.0, provided by scripts/ensure-haproxy3.sh (npm test's install step). */
export const HAPROXY3_BIN = fileURLToPath(new URL('../../.cache/haproxy-3.0/haproxy', import.meta.url));

function probe(label: string, bin: string, hint: string): HaproxyVersion {
  try {
    const caps = parseCapabilities(execFileSync(bin, ['-vv'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    return { label: `HAProxy ${caps.major}.${caps.minor}`, bin, caps };
  } catch {
    const none = { version: 'unknown', major: 0, minor: 0, quic: false, quicOpensslCompat: false };
    return { label, bin, caps: none, missing: `${label} is not available (${hint})` };
  }
}

let versions: HaproxyVersion[] | undefined;

/**
 * The HAProxy builds to run each HAProxy test against, in order. A suite
 * loops over them and names each test with `label`; a missing one is still
 * listed (skip with `missing`), so a machine without it says so instead of
 * silently testing less. TEST_HAPROXY=2.6 (or 3.0) narrows the list while
 * working on one version.
 */
export function haproxyVersions(): HaproxyVersion[] {
  versions ??= [probe('HAProxy 2.6', 'haproxy', 'apt-get install haproxy'), probe('HAProxy 3.0', HAPROXY3_BIN, 'run sh scripts/ensure-haproxy3.sh')];
  const only = process.env.TEST_HAPROXY?.split(',').map((s) => s.trim()).filter(Boolean);
  return only?.length ? versions.filter((v) => only.some((o) => v.label.endsWith(` ${o}`))) : versions;
}

/** The first listed version with QUIC, or undefined (HTTP/3 tests skip with a reason). */
export function quicHaproxy(): HaproxyVersion | undefined {
  return haproxyVersions().find((v) => !v.missing && v.caps.quic);
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

export async function startTestOperator(options: TestOperatorOptions = {}): Promise<TestOperator> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'hop-test-')));
  const [httpPort, httpsPort, runtimePort, listenPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const settings = resolveSettings(
    {
      stateDir,
      bindAddress: '127.0.0.1',
      httpPort: String(httpPort),
      httpsPort: String(httpsPort),
      runtimeApi: `127.0.0.1:${runtimePort}`,
      listen: `127.0.0.1:${listenPort}`,
      pools: String(options.pools ?? 5),
      slots: String(options.slots ?? 10),
      checkInterval: '500',
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
