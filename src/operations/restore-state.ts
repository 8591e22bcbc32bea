/**
 * @module Plans haproxy_restore_state: which rows of a saved `show servers
 * state` file become servers again. Only servers the operator may own
 * (manual or imported) are restored; a slot owned by a container or a
 * manifest belongs to its source, so it is reported as skipped with the
 * reason instead of failing the whole restore. Pure.
 */
import { IpAddress, Port, Weight } from '../model/names.ts';
import { PLACEHOLDER } from '../model/plan.ts';
import { parseServerName } from '../model/state.ts';
import type { SavedServer } from '../model/haproxy.ts';
import type { AddServerInput, DomainView, RestoreStateResult } from './types.ts';

export interface RestorePlan {
  inputs: Omit<AddServerInput, 'dryRun'>[];
  restored: RestoreStateResult['restored'];
  skipped: RestoreStateResult['skipped'];
}

const OPERATOR_OWNED = new Set(['manual', 'import']);

/**
 * Matches saved rows to the routed domains. Unused slots (the placeholder
 * address) are ignored; rows already equal to the desired server are neither
 * restored nor skipped.
 */
export function planRestore(rows: readonly SavedServer[], domains: readonly DomainView[], slots: number): RestorePlan {
  const plan: RestorePlan = { inputs: [], restored: [], skipped: [] };
  const byPool = new Map(domains.map((d) => [d.pool, d]));
  for (const row of rows) {
    const slot = parseServerName(row.server);
    if (!slot) continue;
    if (row.address === PLACEHOLDER.address && row.port === PLACEHOLDER.port) continue;
    const skip = (reason: string) => plan.skipped.push({ server: row.server, reason });
    const domain = byPool.get(slot.pool);
    if (!domain) {
      skip(`no domain is routed to pool_${slot.pool} now; route one with haproxy_add_domain first`);
      continue;
    }
    if (slot.slot > slots) {
      skip(`slot ${slot.slot} is beyond the configured slots (${slots})`);
      continue;
    }
    const current = domain.servers.find((s) => s.slot === slot.slot && s.family === slot.family);
    if (current && !OPERATOR_OWNED.has(current.source)) {
      skip(`belongs to ${current.source}: its source decides this slot (use haproxy_set_server_state for an override)`);
      continue;
    }
    const address = IpAddress.safeParse(row.address);
    const port = Port.safeParse(row.port);
    const weight = Weight.safeParse(row.weight);
    if (!address.success || !port.success || !weight.success) {
      skip(`saved address ${row.address}:${row.port} weight ${row.weight} is not a valid server`);
      continue;
    }
    const state = row.state;
    if (current && current.address === address.data && current.port === port.data && current.weight === weight.data && current.state === state) continue;
    plan.inputs.push({
      domain: domain.domain,
      slot: slot.slot,
      family: slot.family,
      ip: address.data,
      port: port.data,
      weight: weight.data,
      state,
      // The file holds no check path: a restored manual server keeps the one it has.
      ...(current?.check ? { check: current.check } : {}),
      source: current?.source ?? 'manual',
    });
    plan.restored.push({ server: row.server, domain: domain.domain, address: address.data, port: port.data, weight: weight.data, state });
  }
  return plan;
}
