/**
 * @module The access rules of a host (model/access-rules.ts) in `export
 * kubernetes`: the Gateway API has no standard HTTPRoute filter for an IP
 * allowlist, basic auth or a rate limit (each implementation has its own
 * policy resource), so each is listed on the host's HTTPRoute as not
 * exported, with the host and the rule, never dropped without a word.
 * Basic auth is named by its users and where they came from, never a hash.
 */
import { describeAccess, type AccessShown } from '../model/access-rules.ts';

const WHY = 'not exported: the Gateway API has no standard filter for it (use your Gateway implementation\'s policy, e.g. an authorization or rate-limit policy)';

/** One note per access rule of `host`. */
export function accessNotes(host: string, rules: AccessShown | undefined): string[] {
  if (!rules) return [];
  return describeAccess(rules).map((line) => `host ${host}: ${line}: ${WHY}`);
}

/** `rules` without the access fields (their notes are accessNotes'); undefined when nothing else is left. */
export function withoutAccess<T extends AccessShown>(rules: T | undefined): Omit<T, keyof AccessShown> | undefined {
  if (!rules) return undefined;
  const { allow: _a, basicAuth: _b, rateLimit: _r, ...rest } = rules;
  return Object.keys(rest).length ? rest : undefined;
}
