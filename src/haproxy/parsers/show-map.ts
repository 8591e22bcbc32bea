/** @module Parses `show map <file>` replies: "0x55d0... key value" lines. */

export interface MapEntry {
  key: string;
  value: string;
}

export function parseShowMap(reply: string): MapEntry[] {
  const entries: MapEntry[] = [];
  for (const line of reply.split('\n')) {
    const m = /^0x[0-9a-f]+ (\S+) (\S+)$/.exec(line.trim());
    if (m) entries.push({ key: m[1]!, value: m[2]! });
  }
  return entries;
}
