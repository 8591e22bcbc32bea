/** @module Parses `show info` ("Key: value" lines). */
import type { HaproxyInfo } from '../../model/haproxy.ts';

export function parseShowInfo(reply: string): HaproxyInfo {
  const raw: Record<string, string> = {};
  for (const line of reply.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) raw[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return {
    pid: Number(raw.Pid ?? 0),
    uptimeSec: Number(raw.Uptime_sec ?? 0),
    version: raw.Version ?? '',
    currConns: Number(raw.CurrConns ?? 0),
    raw,
  };
}
