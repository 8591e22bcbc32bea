/**
 * @module HAProxy's live routes, read through its Runtime API: host ->
 * `addr:port` of the ready servers of the pool its map entry names. Tests and
 * benches judge "routed" here rather than by an HTTP 200: a container's httpd
 * starved of CPU may take seconds to listen, which is not the operator's delay.
 */
import { join } from 'node:path';
import { commands } from '../../src/haproxy/commands.ts';
import { parseShowMap } from '../../src/haproxy/parsers/show-map.ts';
import { adminStateName, parseServersState } from '../../src/haproxy/parsers/servers-state.ts';
import type { RuntimeClient } from '../../src/haproxy/runtime-client.ts';

/** One map read and one servers-state read; `confDir` holds the operator's domains.map. */
export async function liveRoutes(runtime: Pick<RuntimeClient, 'execute'>, confDir: string): Promise<Map<string, Set<string>>> {
  const [map, states] = await runtime.execute([commands.showMap(join(confDir, 'domains.map')), commands.showServersState()]);
  const ready = new Map<string, Set<string>>();
  for (const row of parseServersState(states ?? '')) {
    if (adminStateName(row.adminState) !== 'ready') continue;
    ready.set(row.backend, (ready.get(row.backend) ?? new Set()).add(`${row.address}:${row.port}`));
  }
  return new Map(parseShowMap(map ?? '').map((e) => [e.key, ready.get(e.value) ?? new Set<string>()]));
}
