/**
 * @module What an HAProxy can do: read from `haproxy -vv` (managed mode),
 * from the Runtime API's `show version` + `show dev` (a running external
 * HAProxy; `show dev` exists from 2.9 on) or from flags given to
 * `render-config`. The config renderer and the runtime commands only look at
 * these capabilities, never at the version string itself.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RuntimeCommandError, ValidationError } from '../model/errors.ts';

const run = promisify(execFile);

export interface HaproxyCapabilities {
  version: string;
  /** Major and minor version numbers; 0.0 when unknown. */
  major: number;
  minor: number;
  /** Built with QUIC (`+QUIC`): the HTTPS port also serves HTTP/3 over UDP. */
  quic: boolean;
  /** QUIC through OpenSSL's compat layer (`+QUIC_OPENSSL_COMPAT`): a QUIC bind needs `limited-quic`. */
  quicOpensslCompat: boolean;
}

const VERSION = /^(\d+)\.(\d+)(?:[.\-+~a-z0-9]*)$/i;

function versionParts(version: string): { major: number; minor: number } {
  const m = VERSION.exec(version);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : { major: 0, minor: 0 };
}

function hasFeature(text: string, name: string): boolean {
  return new RegExp(`(^|\\s)\\+${name}(\\s|$)`, 'm').test(text);
}

/** Builds capabilities from a version string and a feature list (`+QUIC +QUIC_OPENSSL_COMPAT ...`). */
export function capabilitiesOf(version: string, features: string): HaproxyCapabilities {
  const quic = hasFeature(features, 'QUIC');
  return { version, ...versionParts(version), quic, quicOpensslCompat: quic && hasFeature(features, 'QUIC_OPENSSL_COMPAT') };
}

/** Parses `haproxy -vv` output (or `show dev`, which has the same feature list). */
export function parseCapabilities(output: string): HaproxyCapabilities {
  const version = /HAProxy version (\S+)/.exec(output)?.[1] ?? 'unknown';
  return capabilitiesOf(version, output);
}

export async function detectCapabilities(bin: string): Promise<HaproxyCapabilities> {
  const { stdout, stderr } = await run(bin, ['-vv'], { timeout: 10000 });
  return parseCapabilities(stdout + stderr);
}

/**
 * From the Runtime API's replies: `show version` gives the version (2.6 and
 * newer), `show dev` the feature list (2.9 and newer; older versions answer
 * "Unknown command", and are then taken as built without QUIC).
 */
export function capabilitiesFromRuntime(showVersion: string, showDev: string): HaproxyCapabilities {
  const version = showVersion.trim().split(/\s+/)[0] ?? '';
  if (!VERSION.test(version)) throw new RuntimeCommandError(`the Runtime API's "show version" answered ${JSON.stringify(showVersion.trim().slice(0, 80))}, not a version`, 'show version');
  const features = /^Features\s*\n(.*)$/m.exec(showDev)?.[1] ?? '';
  return capabilitiesOf(version, features);
}

/** The features flag of `render-config`: comma- or space-separated words such as `+QUIC,+QUIC_OPENSSL_COMPAT`. */
export function capabilitiesFromFlags(version: string, features: string): HaproxyCapabilities {
  if (!VERSION.test(version)) throw new ValidationError('--haproxy-version', version, 'not an HAProxy version such as 2.6.12 or 3.2.0');
  const words = features.split(/[\s,]+/).filter(Boolean);
  const bad = words.find((w) => !/^[+-][A-Z0-9_]+$/.test(w));
  if (bad !== undefined) throw new ValidationError('--haproxy-features', bad, 'not a feature word such as +QUIC or +QUIC_OPENSSL_COMPAT (as in the "Feature list" of haproxy -vv)');
  return capabilitiesOf(version, words.join(' '));
}

/** `wait <ms> srv-removable` exists from 2.7 on: a drain can end on HAProxy's word instead of polling. */
export function canWaitServerRemovable(caps: Pick<HaproxyCapabilities, 'major' | 'minor'>): boolean {
  return caps.major > 2 || (caps.major === 2 && caps.minor >= 7);
}
