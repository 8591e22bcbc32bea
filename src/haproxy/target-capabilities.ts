/**
 * @module Which HAProxy `render-config` renders for. In external mode the
 * HAProxy that loads the config is often not the local `haproxy` binary (the
 * Quadlet runs an image), so the target can be named by flags or asked
 * through its Runtime API; the local binary's `haproxy -vv` is the default.
 */
import type { OptionDef } from '../config/options.ts';
import type { Settings } from '../config/settings.ts';
import { ValidationError } from '../model/errors.ts';
import { capabilitiesFromFlags, capabilitiesFromRuntime, detectCapabilities, type HaproxyCapabilities } from './capabilities.ts';
import { commands } from './commands.ts';
import { formatRuntimeAddress } from './runtime-address.ts';
import { createRuntimeClient } from './runtime-client.ts';

/** Options only `render-config` takes. */
export const RENDER_OPTIONS: readonly OptionDef[] = [
  { key: 'haproxyVersion', type: 'string', help: "render-config: the target HAProxy's version (e.g. 3.2.0), instead of running haproxy -vv" },
  { key: 'haproxyFeatures', type: 'string', default: '', help: "render-config: with --haproxy-version, the target's feature words from haproxy -vv (e.g. +QUIC,+QUIC_OPENSSL_COMPAT)" },
  { key: 'fromRuntime', type: 'bool', default: 'false', help: 'render-config: ask the HAProxy running at --runtime-api for its version and features (show version, show dev)' },
];

export interface TargetCapabilities {
  caps: HaproxyCapabilities;
  /** Where they came from, for the note `render-config` prints on stderr. */
  source: string;
}

const TRUE = ['true', '1', 'yes'];

/** Capabilities of the running HAProxy, asked through its Runtime API. */
export async function runtimeCapabilities(settings: Pick<Settings, 'runtimeApi'>): Promise<HaproxyCapabilities> {
  const client = createRuntimeClient({ address: settings.runtimeApi, timeoutMs: 5000 });
  try {
    const [version = '', dev = ''] = await client.execute([commands.showVersion(), commands.showDev()]);
    return capabilitiesFromRuntime(version, dev);
  } finally {
    client.close();
  }
}

/** Flags first, then the Runtime API when asked, else `haproxy -vv` of --haproxy-bin (no QUIC when it cannot run). */
export async function targetCapabilities(settings: Settings): Promise<TargetCapabilities> {
  const { haproxyVersion, haproxyFeatures = '', fromRuntime = 'false' } = settings.extra;
  if (haproxyVersion) return { caps: capabilitiesFromFlags(haproxyVersion, haproxyFeatures), source: '--haproxy-version/--haproxy-features' };
  if (haproxyFeatures) throw new ValidationError('--haproxy-features', haproxyFeatures, 'needs --haproxy-version too');
  if (TRUE.includes(fromRuntime)) {
    return { caps: await runtimeCapabilities(settings), source: `the Runtime API at ${formatRuntimeAddress(settings.runtimeApi)}` };
  }
  try {
    return { caps: await detectCapabilities(settings.haproxyBin), source: `${settings.haproxyBin} -vv` };
  } catch {
    return {
      caps: { version: 'unknown', major: 0, minor: 0, quic: false, quicOpensslCompat: false },
      source: `nothing (${settings.haproxyBin} cannot run; no QUIC assumed: pass --haproxy-version and --haproxy-features, or --from-runtime)`,
    };
  }
}

/** One line for stderr saying what the config is rendered for. */
export function describeTarget(target: TargetCapabilities): string {
  const { caps } = target;
  const quic = caps.quic ? (caps.quicOpensslCompat ? 'QUIC via the OpenSSL compat layer (limited-quic)' : 'QUIC') : 'no QUIC';
  return `render-config: for HAProxy ${caps.version}, ${quic}; learned from ${target.source}`;
}
