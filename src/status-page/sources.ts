/**
 * @module Probes the status page needs beyond the read APIs: whether the
 * running HAProxy has QUIC (asked once per worker PID through the Runtime
 * API, as render-config --from-runtime does) and the time of the last
 * successful reconcile (the gauge /metrics already keeps).
 */
import type { Registry } from 'prom-client';
import type { Settings } from '../config/settings.ts';
import { runtimeCapabilities } from '../haproxy/target-capabilities.ts';

/** `show version`/`show dev` once per HAProxy worker PID; undefined when they fail. */
export function quicProbe(settings: Pick<Settings, 'runtimeApi'>): (pid: number) => Promise<boolean | undefined> {
  let cached: { pid: number; quic: boolean } | undefined;
  return async (pid) => {
    if (cached?.pid === pid) return cached.quic;
    try {
      const caps = await runtimeCapabilities(settings);
      cached = { pid, quic: caps.quic };
      return caps.quic;
    } catch {
      return undefined;
    }
  };
}

/** The last-successful-reconcile gauge in ms since epoch; undefined before the first reconcile. */
export function lastReconcileFrom(registry: Registry): () => Promise<number | undefined> {
  return async () => {
    const metric = registry.getSingleMetric('haproxy_operator_last_successful_reconcile_timestamp_seconds');
    const value = (await metric?.get())?.values[0]?.value;
    return value ? value * 1000 : undefined;
  };
}
