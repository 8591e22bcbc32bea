/** @module Names of the files the operator owns, which no tool may name as a saved-state file (the MCP schema and the store both refuse them). */

/** Names of files the operator owns; never a saved-state name. */
export const OWNED_FILE_NAMES = ['servers.json', 'haproxy.cfg', 'domains.map', 'checks.map', 'audit.log', 'operator.lock', 'haproxy.pids', 'resource-status.json'];
const OWNED_PATTERN = /\.(pem|key|crt|cfg|map|lock|sock)$|^(account|acme)/i;

export const OWNED_MESSAGE = 'is the name of a file the operator owns (state, configuration, maps, audit log, lock or certificate); choose another name such as server-state.txt';

/** True for names of files the operator owns (servers.json, haproxy.cfg, *.map, *.pem, ...). */
export function isOwnedFileName(name: string): boolean {
  return OWNED_FILE_NAMES.includes(name.toLowerCase()) || OWNED_PATTERN.test(name);
}
