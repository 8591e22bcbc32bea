/**
 * @module Pure edits of the desired state, one per operation. Each takes the
 * current state and validated input and returns the next state (a copy), or
 * throws a typed error that names the field and value; nothing is changed
 * on error.
 */
import { CapacityError, ConflictError, NotFoundError, ValidationError } from '../model/errors.ts';
import type { Family, Provenance, ServerState } from '../model/names.ts';
import { serverName, shareSlots, type Capacity, type DesiredState, type DomainSpec, type ServerSpec } from '../model/state.ts';
import { firstFreePool, firstFreeSlot } from '../reconcile/allocate.ts';
import type { RouteRules } from '../model/rules.ts';

export function cloneState(state: DesiredState): DesiredState {
  return structuredClone(state);
}

/**
 * A copy of `state` for an edit of `hosts`: those domains are copied deeply,
 * every other one is shared with `state` (desired states are never changed
 * in place). A change then costs its own domain, not the whole state, and
 * the runner, the change log and the scope see untouched domains by identity.
 */
export function copyForEdit(state: DesiredState, ...hosts: string[]): DesiredState {
  const domains = { ...state.domains };
  for (const host of hosts) if (domains[host]) domains[host] = structuredClone(domains[host]);
  return { ...state, domains };
}

function domainOf(state: DesiredState, domain: string): DomainSpec {
  const spec = state.domains[domain];
  if (!spec) throw new NotFoundError(`domain=${JSON.stringify(domain)}: no such domain`);
  return spec;
}

function checkSlot(slot: number, capacity: Capacity): void {
  if (!Number.isInteger(slot) || slot < 1 || slot > capacity.slots) throw new ValidationError('slot', slot, `not a slot (1-${capacity.slots})`);
}

/** The original's port logic: no port, 80 or 443 -> three default servers; any other port -> one HTTP server. */
export function defaultServers(ip: string, port: number | undefined, source: Provenance): ServerSpec[] {
  const base = { slot: 1, address: ip, weight: 1, state: 'ready' as const, source };
  if (port === undefined || port === 80 || port === 443) {
    return [
      { ...base, family: 'http', port: 80 },
      { ...base, family: 'ssl', port: 443 },
      { ...base, family: 'h3', port: 443 },
    ];
  }
  return [{ ...base, family: 'http', port }];
}

export function addDomain(state: DesiredState, capacity: Capacity, input: { domain: string; ip: string; port?: number; source: Provenance }): DesiredState {
  const existing = state.domains[input.domain];
  if (existing) throw new ConflictError(`domain=${JSON.stringify(input.domain)}: already routed to pool_${existing.pool}; add servers with haproxy_add_server`);
  const pool = firstFreePool(state, capacity.pools);
  if (pool === undefined) throw new CapacityError(`domain=${JSON.stringify(input.domain)}: no free pool (all ${capacity.pools} pools are used)`);
  const next = copyForEdit(state);
  next.domains[input.domain] = { pool, source: input.source, servers: defaultServers(input.ip, input.port, input.source) };
  return next;
}

function requireOwner(spec: ServerSpec | DomainSpec, what: string, action: string): void {
  if (spec.source === 'manual' || spec.source === 'import') return;
  throw new ConflictError(
    `${what} belongs to ${spec.source}; it would come back at the next sync. ${action}`,
  );
}

export function removeDomain(state: DesiredState, domain: string): DesiredState {
  const spec = domainOf(state, domain);
  requireOwner(spec, `domain=${JSON.stringify(domain)}`, 'Remove it at its source (stop the container or delete the manifest).');
  const foreign = spec.servers.find((s) => s.source !== 'manual' && s.source !== 'import');
  if (foreign) {
    throw new ConflictError(`domain=${JSON.stringify(domain)}: server ${serverName(spec.pool, foreign.family, foreign.slot)} belongs to ${foreign.source}; remove it at its source first`);
  }
  const next = copyForEdit(state);
  delete next.domains[domain];
  return next;
}

export interface ServerInput {
  domain: string;
  slot: number;
  family: Family;
  ip: string;
  port: number;
  weight: number;
  state: ServerState;
  check?: string;
  source: Provenance;
}

export function addServer(state: DesiredState, capacity: Capacity, input: ServerInput): DesiredState {
  checkSlot(input.slot, capacity);
  const spec = domainOf(state, input.domain);
  const taken = spec.servers.find((s) => s.slot === input.slot && s.family === input.family);
  if (taken && taken.source !== input.source && taken.source !== 'manual' && taken.source !== 'import') {
    throw new ConflictError(`slot=${input.slot}: ${serverName(spec.pool, input.family, input.slot)} belongs to ${taken.source}; choose a free slot`);
  }
  const next = copyForEdit(state, input.domain);
  const d = next.domains[input.domain]!;
  d.servers = d.servers.filter((s) => !(s.slot === input.slot && s.family === input.family));
  const server: ServerSpec = {
    family: input.family,
    slot: input.slot,
    address: input.ip,
    port: input.port,
    weight: input.weight,
    state: input.state,
    source: input.source,
  };
  if (input.check) server.check = input.check;
  d.servers.push(server);
  shareSlots(next, input.domain);
  return next;
}

/** Servers addressed by (domain, slot, family?): without a family, every family in that slot. */
export function selectServers(state: DesiredState, capacity: Capacity, ref: { domain: string; slot: number; family?: Family }): ServerSpec[] {
  checkSlot(ref.slot, capacity);
  const spec = domainOf(state, ref.domain);
  const found = spec.servers.filter((s) => s.slot === ref.slot && (ref.family === undefined || s.family === ref.family));
  if (found.length === 0) {
    const name = serverName(spec.pool, ref.family ?? 'http', ref.slot);
    throw new NotFoundError(`slot=${ref.slot}: no server in ${ref.family ? name : `slot ${ref.slot} of pool_${spec.pool}`} for domain ${ref.domain}`);
  }
  return found;
}

export function removeServer(state: DesiredState, capacity: Capacity, ref: { domain: string; slot: number; family?: Family }): DesiredState {
  const spec = domainOf(state, ref.domain);
  for (const s of selectServers(state, capacity, ref)) {
    requireOwner(s, `server ${serverName(spec.pool, s.family, s.slot)}`, 'Use haproxy_set_server_state maint to hold it out of service.');
  }
  const next = copyForEdit(state, ref.domain);
  const d = next.domains[ref.domain]!;
  d.servers = d.servers.filter((s) => !(s.slot === ref.slot && (ref.family === undefined || s.family === ref.family)));
  shareSlots(next, ref.domain);
  return next;
}

type ServerEdit = (server: ServerSpec, manual: boolean) => void;

function editServers(state: DesiredState, capacity: Capacity, ref: { domain: string; slot: number; family?: Family }, edit: ServerEdit): DesiredState {
  selectServers(state, capacity, ref);
  const next = copyForEdit(state, ref.domain);
  for (const s of next.domains[ref.domain]!.servers) {
    if (s.slot === ref.slot && (ref.family === undefined || s.family === ref.family)) edit(s, s.source === 'manual' || s.source === 'import');
  }
  shareSlots(next, ref.domain);
  return next;
}

/**
 * Precedence rule: on a manual server the state is simply set. On a server
 * owned by a container or manifest it becomes an override that holds until
 * cleared (`ready` clears it); HAProxy gets the more restrictive of the
 * source's state and the override.
 */
export function setServerState(state: DesiredState, capacity: Capacity, ref: { domain: string; slot: number; family?: Family }, value: ServerState, by: string, at: string): DesiredState {
  return editServers(state, capacity, ref, (s, manual) => {
    if (manual) {
      s.state = value;
      return;
    }
    if (value === 'ready') {
      if (s.override) delete s.override.state;
    } else s.override = { ...s.override, state: value, by, at };
    if (s.override && s.override.state === undefined && s.override.weight === undefined) delete s.override;
  });
}

export function setServerWeight(state: DesiredState, capacity: Capacity, ref: { domain: string; slot: number; family?: Family }, weight: number, by: string, at: string): DesiredState {
  return editServers(state, capacity, ref, (s, manual) => {
    if (manual) s.weight = weight;
    else s.override = { ...s.override, weight, by, at };
  });
}

export function clearOverride(state: DesiredState, capacity: Capacity, ref: { domain: string; slot: number; family?: Family }): DesiredState {
  return editServers(state, capacity, ref, (s) => {
    delete s.override;
  });
}

/** A copy of `state` with `edit` applied to one existing domain (copied; the others shared). */
function editDomain(state: DesiredState, domain: string, edit: (spec: DomainSpec) => void): DesiredState {
  domainOf(state, domain);
  const next = copyForEdit(state, domain);
  edit(domainOf(next, domain));
  return next;
}

/** Fixes a domain's hold (ms) whatever its source asks, or with null goes back to the source's (or the default). */
export function setHold(state: DesiredState, domain: string, holdMs: number | null): DesiredState {
  return editDomain(state, domain, (spec) => {
    if (holdMs === null) delete spec.holdOverride;
    else spec.holdOverride = holdMs;
  });
}

/** Sets a route's rules whatever its source asks (field by field), or with null goes back to the source's. */
export function setRules(state: DesiredState, domain: string, rules: RouteRules | null): DesiredState {
  return editDomain(state, domain, (spec) => {
    if (rules === null) delete spec.rulesOverride;
    else spec.rulesOverride = rules;
  });
}

export { firstFreeSlot };
