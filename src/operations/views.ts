/** @module Read views of the desired state for tools, the CLI and the status page. */
import type { StatRow } from '../model/haproxy.ts';
import { backendName, effectiveState, effectiveWeight, serverName, type DesiredState, type DomainSpec } from '../model/state.ts';
import type { DomainView, ServerHealth } from './types.ts';
import { effectiveHold } from '../model/hold.ts';
import { effectiveRules } from '../model/rules.ts';
import { accessView } from '../model/access-rules.ts';

export function domainView(domain: string, spec: DomainSpec): DomainView {
  return {
    domain,
    pool: spec.pool,
    backend: backendName(spec.pool, 'http'),
    source: spec.source,
    holdMs: effectiveHold(spec),
    ...(spec.holdOverride !== undefined ? { holdOverride: spec.holdOverride } : {}),
    ...(spec.rules || spec.rulesOverride ? { rules: accessView(effectiveRules(spec)) } : {}),
    ...(spec.rulesOverride ? { rulesOverride: accessView(spec.rulesOverride) } : {}),
    servers: [...spec.servers]
      .sort((a, b) => a.slot - b.slot || a.family.localeCompare(b.family))
      .map((s) => ({
        ...s,
        name: serverName(spec.pool, s.family, s.slot),
        backend: backendName(spec.pool, s.family),
        effectiveState: effectiveState(s),
        effectiveWeight: effectiveWeight(s),
      })),
  };
}

export function listDomainViews(state: DesiredState): DomainView[] {
  return Object.keys(state.domains)
    .sort()
    .map((d) => domainView(d, state.domains[d]!));
}

/**
 * Each server of a domain with HAProxy's view of it from `show stat` rows. A
 * function of the rows, not a query, so the status page can read the rows
 * once for every host; a server HAProxy does not list is UNKNOWN.
 */
export function domainHealth(view: DomainView, rows: readonly StatRow[]): ServerHealth[] {
  return view.servers.map((s) => {
    const row = rows.find((r) => r.proxy === s.backend && r.name === s.name);
    return {
      name: s.name,
      backend: s.backend,
      family: s.family,
      slot: s.slot,
      address: s.address,
      port: s.port,
      status: row?.status ?? 'UNKNOWN',
      checkStatus: row?.checkStatus ?? '',
      currentSessions: row?.currentSessions ?? 0,
    };
  });
}
