/**
 * @module The HAProxy builds every HAProxy test and benchmark runs against:
 * Debian 12's 2.6 (`haproxy` on the PATH) and Debian 13's 3.0 from the
 * project cache (scripts/ensure-haproxy3.sh), each with what `haproxy -vv`
 * reports. No node:test import, so benchmarks can use it too.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseCapabilities, type HaproxyCapabilities } from '../../src/haproxy/capabilities.ts';

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
  // On a Debian 13 host the system's haproxy is 3.0 already: test each version once.
  versions ??= [probe('HAProxy 2.6', 'haproxy', 'apt-get install haproxy'), probe('HAProxy 3.0', HAPROXY3_BIN, 'run sh scripts/ensure-haproxy3.sh')].filter(
    (v, i, all) => v.missing || !all.slice(0, i).some((w) => !w.missing && w.label === v.label),
  );
  const only = process.env.TEST_HAPROXY?.split(',').map((s) => s.trim()).filter(Boolean);
  return only?.length ? versions.filter((v) => only.some((o) => v.label.endsWith(` ${o}`))) : versions;
}

/** The first listed version with QUIC, or undefined (HTTP/3 tests skip with a reason). */
export function quicHaproxy(): HaproxyVersion | undefined {
  return haproxyVersions().find((v) => !v.missing && v.caps.quic);
}
