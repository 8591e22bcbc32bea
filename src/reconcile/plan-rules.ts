/**
 * @module Plans the rule maps (model/rules.ts): for each map, the add/set/del
 * map actions that make HAProxy's entries equal to the desired ones. Pure.
 */
import type { Action, RuleAction } from '../model/plan.ts';
import { RULE_MAPS } from '../model/rules.ts';
import type { DesiredState } from '../model/state.ts';

type Entry = { key: string; value: string };

/**
 * Generic diff of one map keyed by string: `del` for keys not wanted, `del`
 * then `add` for duplicated keys (`add map` does not dedupe, `del map` drops
 * every entry of a key), `set` for changed values, `add` for new keys.
 */
export function diffMap<A>(
  want: ReadonlyMap<string, string>,
  observed: readonly Entry[],
  make: { add(key: string, value: string): A; set(key: string, value: string): A; del(key: string): A },
): { dels: A[]; sets: A[] } {
  const dels: A[] = [];
  const sets: A[] = [];
  const seen = new Map<string, string[]>();
  for (const e of observed) seen.set(e.key, [...(seen.get(e.key) ?? []), e.value]);
  for (const [key, values] of seen) {
    const value = want.get(key);
    if (value === undefined) dels.push(make.del(key));
    else if (values.length > 1) dels.push(make.del(key)), sets.push(make.add(key, value));
    else if (values[0] !== value) sets.push(make.set(key, value));
  }
  for (const [key, value] of [...want].sort(([a], [b]) => a.localeCompare(b))) if (!seen.has(key)) sets.push(make.add(key, value));
  return { dels, sets };
}

/** Rule map actions: every map HAProxy was observed to hold. Deletions first, so a rule taken off never outlives its replacement. */
export function planRules(desired: DesiredState, observed: Record<string, Entry[]>): Action[] {
  const dels: RuleAction[] = [];
  const sets: RuleAction[] = [];
  for (const map of RULE_MAPS) {
    const have = observed[map.name];
    if (!have) continue;
    const diff = diffMap(new Map(map.entries(desired)), have, {
      add: (key, value): RuleAction => ({ kind: 'addRule', map: map.name, key, value }),
      set: (key, value): RuleAction => ({ kind: 'setRule', map: map.name, key, value }),
      del: (key): RuleAction => ({ kind: 'delRule', map: map.name, key }),
    });
    dels.push(...diff.dels);
    sets.push(...diff.sets);
  }
  return [...dels, ...sets];
}
