/**
 * @module The only door to HAProxy: observes the state a pass needs, applies
 * planned actions (map and server commands pipelined in one batch,
 * certificate commands one at a time, a payload on its own connection) and
 * serves the read tools. Command text comes from commands.ts and
 * cert-commands.ts, which validate every argument.
 */
import type { Logger } from 'pino';
import { HotloadError } from '../model/errors.ts';
import type { HaproxyAdapter, ObserveScope, ObservedState, SavedServer } from '../model/haproxy.ts';
import { isCertAction, type Action, type CertAction } from '../model/plan.ts';
import { parseServerName } from '../model/state.ts';
import { commands } from './commands.ts';
import {
  abortSslCert,
  addSslCrtList,
  commitSslCert,
  isCertReplyOk,
  newSslCert,
  parseShowSslCertList,
  setSslCert,
  showSslCert,
  showSslCrtList,
  type CertCommandKind,
} from './cert-commands.ts';
import { parseShowInfo } from './parsers/show-info.ts';
import { holdMapFile } from '../model/hold.ts';
import { RULE_MAPS, ruleFiles, ruleMap, ruleMapFile } from '../model/rules.ts';
import { parseShowMap } from './parsers/show-map.ts';
import { parseShowStat } from './parsers/show-stat.ts';
import { adminStateName, healthEnabled, parseServersState, type ServerStateRow } from './parsers/servers-state.ts';
import type { RuntimeClient } from './runtime-client.ts';
import { redactHashes } from '../model/access-rules.ts';

export interface MapFiles {
  mapFile: string;
  checksMapFile: string;
}

export interface AdapterDeps {
  runtime: RuntimeClient;
  files: MapFiles;
  logger?: Logger;
}

/** The file of a rule map; an unknown name gives a path commands.ts refuses with the name. */
function ruleFileOf(files: MapFiles, name: string): string {
  return ruleMapFile(files.mapFile, ruleMap(name)?.file ?? RULES_UNKNOWN);
}
const RULES_UNKNOWN = 'unknown-rule';

/** Every rule map's entries, grouped by rule from the observed rule files. */
function observedRules(files: readonly string[], replies: readonly string[]): Record<string, Array<{ key: string; value: string }>> {
  const byFile = new Map(files.map((f, i) => [f, parseShowMap(replies[i] ?? '')]));
  return Object.fromEntries(RULE_MAPS.map((m) => [m.name, (byFile.get(m.file) ?? []).filter((e) => m.key.test(e.key))]));
}

/** The exact command for an action (validated by commands.ts / cert-commands.ts). */
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
    case 'addHold':
      return commands.addHold(holdMapFile(files.mapFile), action.host, action.ms);
    case 'setHold':
      return commands.setHold(holdMapFile(files.mapFile), action.host, action.ms);
    case 'delHold':
      return commands.delMap(holdMapFile(files.mapFile), action.host);
    case 'addRule':
      return commands.addRule(ruleFileOf(files, action.map), action.map, action.key, action.value);
    case 'setRule':
      return commands.setRule(ruleFileOf(files, action.map), action.map, action.key, action.value);
    case 'delRule':
      return commands.delRule(ruleFileOf(files, action.map), action.map, action.key);
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
    case 'newCert':
      return newSslCert(action.path);
    case 'setCert':
      return setSslCert(action.path, action.pem);
    case 'commitCert':
      return commitSslCert(action.path);
    case 'addCrtList':
      return addSslCrtList(action.dir, action.path);
  }
}

const CERT_KIND: Record<CertAction['kind'], CertCommandKind> = { newCert: 'new', setCert: 'set', commitCert: 'commit', addCrtList: 'crt-list' };

function firstLines(reply: string): string {
  return reply.trim().split('\n').slice(0, 3).join(' / ').slice(0, 300);
}

function savedServer(row: ServerStateRow): SavedServer {
  return { backend: row.backend, server: row.server, address: row.address, port: row.port, state: adminStateName(row.adminState), weight: row.weight };
}

/** Creates the adapter over one runtime client. */
export function createHaproxyAdapter(deps: AdapterDeps): HaproxyAdapter {
  const { runtime, files } = deps;

  async function observe(scope: ObserveScope): Promise<ObservedState> {
    const serverCommands = scope.backends ? scope.backends.map((b) => commands.showServersState(b)) : [commands.showServersState()];
    const crtLists = scope.crtLists ?? [];
    const certCommands = crtLists.length > 0 ? [showSslCert(), ...crtLists.map((d) => showSslCrtList(d))] : [];
    const rulesFiles = ruleFiles();
    const mapCommands = [files.mapFile, files.checksMapFile, holdMapFile(files.mapFile), ...rulesFiles.map((f) => ruleMapFile(files.mapFile, f))].map((f) => commands.showMap(f));
    const replies = await runtime.execute([...mapCommands, ...serverCommands, ...certCommands]);
    const [map, checks, holds] = replies;
    const rules = observedRules(rulesFiles, replies.slice(3));
    const states = replies.slice(mapCommands.length, mapCommands.length + serverCommands.length);
    const servers = states.flatMap((reply) =>
      parseServersState(reply ?? '')
        .filter((row) => parseServerName(row.server) !== undefined)
        .map((row) => ({ ...savedServer(row), healthEnabled: healthEnabled(row.checkState) })),
    );
    const observed: ObservedState = { map: parseShowMap(map ?? ''), checks: parseShowMap(checks ?? ''), holds: parseShowMap(holds ?? ''), rules, servers };
    if (certCommands.length > 0) {
      const [loaded = '', ...lists] = replies.slice(mapCommands.length + serverCommands.length);
      observed.certs = {
        loaded: parseShowSslCertList(loaded),
        crtLists: Object.fromEntries(crtLists.map((dir, i) => [dir, parseShowSslCertList(lists[i] ?? '').map((l) => l.split(/\s/)[0] ?? '')])),
      };
    }
    return observed;
  }

  /** One certificate command; a refused set or commit aborts the transaction so the next load starts clean. */
  async function applyCert(action: CertAction): Promise<void> {
    const command = actionToCommand(action, files);
    const reply = action.kind === 'setCert' ? await runtime.oneShot(command) : ((await runtime.execute([command]))[0] ?? '');
    if (isCertReplyOk(CERT_KIND[action.kind], reply)) {
      if (action.kind === 'commitCert') deps.logger?.info({ path: action.path }, 'certificate hot-loaded');
      return;
    }
    if (action.kind === 'setCert' || action.kind === 'commitCert') await runtime.execute([abortSslCert(action.path)]).catch(() => undefined);
    const shown = commandOf(action);
    throw new HotloadError(`haproxy refused "${shown}": ${firstLines(reply)}`, shown);
  }

  async function apply(actions: readonly Action[]): Promise<void> {
    let batch: string[] = [];
    for (const action of actions) {
      if (!isCertAction(action)) {
        batch.push(actionToCommand(action, files));
        continue;
      }
      if (batch.length > 0) await runtime.apply(batch);
      batch = [];
      await applyCert(action);
    }
    if (batch.length > 0) await runtime.apply(batch);
  }

  function commandOf(action: Action): string {
    // The payload holds a private key, a rule value may hold a basic-auth hash: never shown.
    return action.kind === 'setCert' ? `set ssl cert ${action.path} <<(PEM redacted)` : redactHashes(actionToCommand(action, files));
  }

  return {
    observe,
    apply,
    commandOf,
    epoch: () => runtime.epoch,
    async info() {
      return parseShowInfo((await runtime.execute([commands.showInfo()]))[0] ?? '');
    },
    async stats() {
      return parseShowStat((await runtime.execute([commands.showStat()]))[0] ?? '');
    },
    async serversStateText() {
      return (await runtime.execute([commands.showServersState()]))[0] ?? '';
    },
    parseServersState: (text) => parseServersState(text).map(savedServer),
  };
}
