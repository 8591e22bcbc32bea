/**
 * @module Which HAProxy `render-config` renders for. In external mode the
 * HAProxy that loads the config is often not the local `haproxy` binary (the
 * Quadlet runs an image), so the target can be named by flags or asked
 * through its Runtime API; the local binary's `haproxy -vv` is the default.
 */
import { ValidationError } from '../model/errors.ts';
import { capabilitiesFromFlags, capabilitiesFromRuntime, detectCapabilities, type HaproxyCapabilities } from './capabilities.ts';
import { commands } from './commands.ts';
import { formatRuntimeAddress, type RuntimeAddress } from '../model/runtime-address.ts';
import { createRuntimeClient } from './runtime-client.ts';

/** What names the HAProxy a config is rendered for (settings.render plus the binary and Runtime API). */
export interface RenderTarget {
  haproxyBin: string;
  runtimeApi: RuntimeAddress;
  haproxyVersion?: string;
  haproxyFeatures: string;
  fromRuntime: boolean;
}

export interface TargetCapabilities {
  caps: HaproxyCapabilities;
  /** Where they came from, for the note `render-config` prints on stderr. */
  source: string;
}

/** Capabilities of the running HAProxy, asked through its Runtime API. */
export async function runtimeCapabilities(settings: { runtimeApi: RuntimeAddress }): Promise<HaproxyCapabilities> {
  const client = createRuntimeClient({ address: settings.runtimeApi, timeoutMs: 5000 });
  try {
    const [version = '', dev = ''] = await client.execute([commands.showVersion(), commands.showDev()]);
    return capabilitiesFromRuntime(version, dev);
  } finally {
    client.close();
  }
}

/** Flags first, then the Runtime API when asked, else `haproxy -vv` of --haproxy-bin (no QUIC when it cannot run). */
export async function targetCapabilities(settings: RenderTarget): Promise<TargetCapabilities> {
  const { haproxyVersion, haproxyFeatures, fromRuntime } = settings;
  if (haproxyVersion) return { caps: capabilitiesFromFlags(haproxyVersion, haproxyFeatures), source: '--haproxy-version/--haproxy-features' };
  if (haproxyFeatures) throw new ValidationError('--haproxy-features', haproxyFeatures, 'needs --haproxy-version too');
  if (fromRuntime) {
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
