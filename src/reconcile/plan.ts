/**
 * @module The reconciler: desired state + observed HAProxy state -> the
 * minimal ordered list of runtime actions. Pure: no I/O, no clock, no
 * logger. Level-triggered: it compares whole states, so running it again
 * after success plans nothing, and a missed event does no harm.
 */
import type { Action } from '../model/plan.ts';
import { PLACEHOLDER } from '../model/plan.ts';
import { backendName, effectiveState, effectiveWeight, parseServerName, serverName, type DesiredState, type ServerSpec } from '../model/state.ts';
import type { ServerState } from '../model/names.ts';
import type { ObservedState } from '../model/haproxy.ts';
import { holdEntries } from '../model/hold.ts';
import { diffMap, planRules } from './plan-rules.ts';
import { isPathRoute } from '../model/route-key.ts';

interface Target {
  address: string;
  port: number;
  state: ServerState;
  weight: number;
  check?: string;
}

function desiredSlots(desired: DesiredState): Map<string, Target> {
  const out = new Map<string, Target>();
  for (const domain of Object.values(desired.domains)) {
    for (const s of domain.servers) out.set(serverName(domain.pool, s.family, s.slot), target(s));
  }
  return out;
}

function target(s: ServerSpec): Target {
  const t: Target = { address: s.address, port: s.port, state: effectiveState(s), weight: effectiveWeight(s) };
  if (s.check) t.check = s.check;
  return t;
}

function planMap(desired: DesiredState, observed: ObservedState): { dels: Action[]; sets: Action[] } {
  const dels: Action[] = [];
  const sets: Action[] = [];
  const seen = new Map<string, string[]>();
  for (const e of observed.map) seen.set(e.key, [...(seen.get(e.key) ?? []), e.value]);
  for (const [host, values] of seen) {
    const want = desired.domains[host];
    if (!want) dels.push({ kind: 'delMap', host });
    else if (values.length > 1) {
      // `del map` drops every entry of the key; add the one we want after.
      dels.push({ kind: 'delMap', host });
      sets.push({ kind: 'addMap', host, backend: backendName(want.pool, 'http') });
    } else if (values[0] !== backendName(want.pool, 'http')) sets.push({ kind: 'setMap', host, backend: backendName(want.pool, 'http') });
  }
  // Path routes are in paths.map (a rule map), not domains.map.
  for (const host of Object.keys(desired.domains).filter((k) => !isPathRoute(k)).sort()) {
    if (!seen.has(host)) sets.push({ kind: 'addMap', host, backend: backendName(desired.domains[host]!.pool, 'http') });
  }
  return { dels, sets };
}

/** hold.map: one entry per holding domain (model/hold.ts), duplicates collapsed. */
function planHolds(desired: DesiredState, observed: Array<{ key: string; value: string }>): { dels: Action[]; sets: Action[] } {
  const want = new Map([...holdEntries(desired)].map(([host, ms]) => [host, String(ms)]));
  return diffMap<Action>(want, observed, {
    add: (host, ms) => ({ kind: 'addHold', host, ms: Number(ms) }),
    set: (host, ms) => ({ kind: 'setHold', host, ms: Number(ms) }),
    del: (host) => ({ kind: 'delHold', host }),
  });
}

/**
 * Plans the actions that make HAProxy equal to `desired`. Order: map
 * deletions, servers leaving service, servers entering or changing, map
 * additions, so a host is only routed once its servers are ready.
 */
export function plan(desired: DesiredState, observed: ObservedState): Action[] {
  const slots = desiredSlots(desired);
  const checks = new Map<string, string[]>();
  for (const e of observed.checks) checks.set(e.key, [...(checks.get(e.key) ?? []), e.value]);
  const { dels, sets } = planMap(desired, observed);
  // A hold is in place before servers leave, and goes only after they are back.
  const holds = observed.holds ? planHolds(desired, observed.holds) : { dels: [], sets: [] };
  const leaving: Action[] = [];
  const entering: Action[] = [];

  for (const obs of observed.servers) {
    if (!parseServerName(obs.server)) continue;
    const { backend, server } = obs;
    const want = slots.get(server);
    const haveChecks = checks.get(server) ?? [];
    if (!want) {
      if (obs.state !== 'maint') leaving.push({ kind: 'setState', backend, server, state: 'maint' });
      if (obs.address !== PLACEHOLDER.address || obs.port !== PLACEHOLDER.port) {
        leaving.push({ kind: 'setAddr', backend, server, ...PLACEHOLDER });
      }
      if (haveChecks.length > 0) leaving.push({ kind: 'delCheck', server });
      continue;
    }
    const config: Action[] = [];
    if (obs.address !== want.address || obs.port !== want.port) {
      config.push({ kind: 'setAddr', backend, server, address: want.address, port: want.port });
    }
    if (obs.weight !== want.weight) config.push({ kind: 'setWeight', backend, server, weight: want.weight });
    if (want.check) {
      if (haveChecks.length > 1) config.push({ kind: 'delCheck', server }, { kind: 'addCheck', server, path: want.check });
      else if (haveChecks.length === 0) config.push({ kind: 'addCheck', server, path: want.check });
      else if (haveChecks[0] !== want.check) config.push({ kind: 'setCheck', server, path: want.check });
      if (!obs.healthEnabled) config.push({ kind: 'enableHealth', backend, server });
    } else {
      if (haveChecks.length > 0) config.push({ kind: 'delCheck', server });
      if (obs.healthEnabled) config.push({ kind: 'disableHealth', backend, server });
    }
    const stateChange: Action[] = obs.state !== want.state ? [{ kind: 'setState', backend, server, state: want.state }] : [];
    // Into service: configure first, then ready. Out of service: state first.
    if (want.state === 'ready') entering.push(...config, ...stateChange);
    else leaving.push(...stateChange, ...config);
  }
  const rules = observed.rules ? planRules(desired, observed.rules) : [];
  return [...dels, ...holds.sets, ...leaving, ...entering, ...rules, ...sets, ...holds.dels];
}
