/**
 * @module The only module that writes HAProxy Runtime API command strings.
 * Every argument is validated here, so a `;`, newline, space, quote or
 * control character can never reach the socket: HAProxy splits commands on
 * `;` and silently ignores extra words, so an unchecked value could run a
 * second command or change the meaning of the first.
 */
import { isIP } from 'node:net';
import { ValidationError } from '../model/errors.ts';
import { isHostname } from '../model/names.ts';
import type { ServerState } from '../model/names.ts';
import { MAX_HOLD_MS } from '../model/hold.ts';
import { ruleMap, type RuleMap } from '../model/rules.ts';

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const PATH = /^\/[A-Za-z0-9_./@+-]{1,4000}$/;
// As model/names.ts CheckPath: no `;` (command separator), `\\` (the CLI's
// escape character), quotes, or `#` (a comment in checks.map on disk).
const CHECK_PATH = /^\/[\x21-\x7e]{0,255}$/;
const CHECK_PATH_FORBIDDEN = /[;"'\\#]/;

function name(field: string, value: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) throw new ValidationError(field, value, 'not a backend or server name ([A-Za-z0-9_.-], 1-64 chars)');
  return value;
}

function path(field: string, value: string): string {
  if (typeof value !== 'string' || !PATH.test(value) || value.includes('..')) throw new ValidationError(field, value, 'not a safe absolute path');
  return value;
}

function host(value: string): string {
  if (typeof value !== 'string' || !isHostname(value)) throw new ValidationError('host', value, 'not a valid host name');
  return value;
}

function ip(value: string): string {
  if (typeof value !== 'string' || isIP(value) === 0 || value.includes('%')) throw new ValidationError('ip', value, 'not an IPv4 or IPv6 address');
  return value;
}

function int(field: string, value: number, min: number, max: number): string {
  if (!Number.isInteger(value) || value < min || value > max) throw new ValidationError(field, value, `not an integer in ${min}-${max}`);
  return String(value);
}

function state(value: ServerState): string {
  if (value !== 'ready' && value !== 'drain' && value !== 'maint') throw new ValidationError('state', value, 'not one of ready, drain, maint');
  return value;
}

function checkPathArg(value: string): string {
  if (typeof value !== 'string' || !CHECK_PATH.test(value) || CHECK_PATH_FORBIDDEN.test(value)) {
    throw new ValidationError('check', value, 'not an HTTP path (starts with /, printable ASCII, no spaces or ; " \' \\ #)');
  }
  return value;
}

function rule(mapName: string): RuleMap {
  const map = ruleMap(mapName);
  if (!map) throw new ValidationError('map', mapName, 'not a rule map');
  return map;
}

/** `<file> <key>` of a rule map entry, each checked against the map's own patterns. */
function ruleEntry(mapFile: string, map: RuleMap, key: string): string {
  if (typeof key !== 'string' || !map.key.test(key)) throw new ValidationError(`${map.name} key`, key, 'not a valid key for this rule map');
  return `${path('map', mapFile)} ${key}`;
}

function ruleValue(map: RuleMap, value: string): string {
  if (typeof value !== 'string' || !map.value.test(value)) throw new ValidationError(`${map.name} value`, value, 'not a valid value for this rule map');
  return value;
}

function server(backend: string, srv: string): string {
  return `${name('backend', backend)}/${name('server', srv)}`;
}

export const commands = {
  showInfo: () => 'show info',
  showVersion: () => 'show version',
  /** Build features (2.9+); older versions answer "Unknown command". */
  showDev: () => 'show dev',
  showStat: () => 'show stat',
  showBackend: () => 'show backend',
  showServersState: (backend?: string) => (backend ? `show servers state ${name('backend', backend)}` : 'show servers state'),
  showMap: (mapFile: string) => `show map ${path('map', mapFile)}`,
  addMap: (mapFile: string, key: string, value: string) => `add map ${path('map', mapFile)} ${host(key)} ${name('value', value)}`,
  setMap: (mapFile: string, key: string, value: string) => `set map ${path('map', mapFile)} ${host(key)} ${name('value', value)}`,
  delMap: (mapFile: string, key: string) => `del map ${path('map', mapFile)} ${host(key)}`,
  /** Check-path map entries are keyed by server name, valued by an HTTP path. */
  addCheckPath: (mapFile: string, srv: string, checkPath: string) => {
    checkPathArg(checkPath);
    return `add map ${path('map', mapFile)} ${name('server', srv)} ${checkPath}`;
  },
  setCheckPath: (mapFile: string, srv: string, checkPath: string) => {
    checkPathArg(checkPath);
    return `set map ${path('map', mapFile)} ${name('server', srv)} ${checkPath}`;
  },
  delCheckPath: (mapFile: string, srv: string) => `del map ${path('map', mapFile)} ${name('server', srv)}`,
  /** Hold map entries are keyed by host, valued by milliseconds. */
  addHold: (mapFile: string, key: string, ms: number) => `add map ${path('map', mapFile)} ${host(key)} ${int('hold', ms, 0, MAX_HOLD_MS)}`,
  setHold: (mapFile: string, key: string, ms: number) => `set map ${path('map', mapFile)} ${host(key)} ${int('hold', ms, 0, MAX_HOLD_MS)}`,
  /** Rule map entries (model/rules.ts): `mapFile` is the map's file, `mapName` says which patterns its key and value must match. */
  addRule: (mapFile: string, mapName: string, key: string, value: string) => `add map ${ruleEntry(mapFile, rule(mapName), key)} ${ruleValue(rule(mapName), value)}`,
  setRule: (mapFile: string, mapName: string, key: string, value: string) => `set map ${ruleEntry(mapFile, rule(mapName), key)} ${ruleValue(rule(mapName), value)}`,
  delRule: (mapFile: string, mapName: string, key: string) => `del map ${ruleEntry(mapFile, rule(mapName), key)}`,
  setServerAddr: (backend: string, srv: string, addr: string, port: number) =>
    `set server ${server(backend, srv)} addr ${ip(addr)} port ${int('port', port, 1, 65535)}`,
  setServerState: (backend: string, srv: string, value: ServerState) => `set server ${server(backend, srv)} state ${state(value)}`,
  setWeight: (backend: string, srv: string, weight: number) => `set weight ${server(backend, srv)} ${int('weight', weight, 0, 256)}`,
  enableHealth: (backend: string, srv: string) => `enable health ${server(backend, srv)}`,
  disableHealth: (backend: string, srv: string) => `disable health ${server(backend, srv)}`,
} as const;

/**
 * Reply texts HAProxy uses for a failed command. A `;` batch or a pipelined
 * prompt session does not stop on errors, so each reply is checked.
 */
const ERROR_REPLIES = [
  /^No such (server|backend|map|file)/i,
  /^Unknown command/i,
  /^Require /i,
  /^Invalid /i,
  /^entry not found/i,
  /^Unknown map/i,
  /^Missing /i,
  /^Permission denied/i,
  /^(Failed|Unable|Cannot|Can't|Couldn't|Could not)/i,
  // Replies of HAProxy 2.6.12 that fit none of the patterns above.
  /^Key not found/i,
  /^(Absolute|Relative) weight /i,
  /^Backend is using a static LB algorithm/i,
  /was not configured on this server, cannot enable/i,
  /^'[^']+' (expects|only supports|needs|not supported|cannot)/i,
  /^\[[0-3]\]: /,
  /error/i,
];

/** Replies that look like errors but report success (or a harmless no-op). */
const OK_REPLIES = [/^no need to change/i, /^IP changed from/i, /^port changed from/i];

/** True when a reply means the command failed. */
export function isErrorReply(reply: string): boolean {
  const text = reply.trim();
  if (text === '') return false;
  if (OK_REPLIES.some((re) => re.test(text))) return false;
  return ERROR_REPLIES.some((re) => re.test(text));
}
