/**
 * @module Bridges the pure reconciler and HAProxy: reads observed state
 * through the runtime client and turns planned actions into commands.
 */
import type { Action } from '../model/plan.ts';
import { parseServerName } from '../model/state.ts';
import type { ObservedState } from '../model/haproxy.ts';
import { commands } from './commands.ts';
import { parseShowMap } from './parsers/show-map.ts';
import { adminStateName, healthEnabled, parseServersState } from './parsers/servers-state.ts';
import type { RuntimeClient } from './runtime-client.ts';

export interface MapFiles {
  mapFile: string;
  checksMapFile: string;
}

/** The exact command for an action (validated by commands.ts). */
export function actionToCommand(action: Action, files: MapFiles): string {
  switch (action.kind) {
    case 'addMap':
      return commands.addMap(files.mapFile, action.host, action.backend);
    case 'setMap':
      return commands.setMap(files.mapFile, action.host, action.backend);
    case 'delMap':
      return commands.delMap(files.mapFile, action.host);
    case 'addCheck':
      return commands.addCheckPath(files.checksMapFile, action.server, action.path);
    case 'setCheck':
      return commands.setCheckPath(files.checksMapFile, action.server, action.path);
    case 'delCheck':
      return commands.delCheckPath(files.checksMapFile, action.server);
    case 'setAddr':
      return commands.setServerAddr(action.backend, action.server, action.address, action.port);
    case 'setWeight':
      return commands.setWeight(action.backend, action.server, action.weight);
    case 'setState':
      return commands.setServerState(action.backend, action.server, action.state);
    case 'enableHealth':
      return commands.enableHealth(action.backend, action.server);
    case 'disableHealth':
      return commands.disableHealth(action.backend, action.server);
  }
}

/** Reads the map, the check map and slot servers (of `backends`, or all) from HAProxy. */
export async function observe(runtime: RuntimeClient, files: MapFiles, backends?: readonly string[]): Promise<ObservedState> {
  const serverCommands = backends ? backends.map((b) => commands.showServersState(b)) : [commands.showServersState()];
  const [map, checks, ...states] = await runtime.execute([commands.showMap(files.mapFile), commands.showMap(files.checksMapFile), ...serverCommands]);
  const servers = states.flatMap((reply) =>
    parseServersState(reply ?? '')
      .filter((row) => parseServerName(row.server) !== undefined)
      .map((row) => ({
        backend: row.backend,
        server: row.server,
        address: row.address,
        port: row.port,
        state: adminStateName(row.adminState),
        weight: row.weight,
        healthEnabled: healthEnabled(row.checkState),
      })),
  );
  return { map: parseShowMap(map ?? ''), checks: parseShowMap(checks ?? ''), servers };
}
