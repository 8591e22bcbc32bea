/** @module Read views of the desired state for tools and the CLI. */
import { backendName, effectiveState, effectiveWeight, serverName, type DesiredState, type DomainSpec } from '../model/state.ts';
import type { DomainView } from './types.ts';
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
