/**
 * @module The access-rule labels (model/access-rules.ts), as entries of the
 * rule-label decoder's list (rule-labels.ts RULE_LABELS): `haproxy.allow`,
 * `haproxy.basic-auth` (`file:/abs/path` or `env:NAME`: where the
 * credentials are, never the credentials), `haproxy.basic-auth-realm` and
 * `haproxy.rate-limit` (`10/s` or `10/s burst=30`). Each converts its text
 * with the schema the Domain resource and MCP use, so the same values are
 * refused, and each refusal names the label (the decoder adds the value).
 */
import { z } from 'zod';
import { AllowText, RateLimitText } from '../model/access-rules.ts';
import { BasicAuthRule, Realm } from '../model/basic-auth-input.ts';

export const LABEL_ALLOW = 'haproxy.allow';
export const LABEL_BASIC_AUTH = 'haproxy.basic-auth';
export const LABEL_BASIC_AUTH_REALM = 'haproxy.basic-auth-realm';
export const LABEL_RATE_LIMIT = 'haproxy.rate-limit';

const REF = /^(file|env):(.+)$/;
/** Decoded label sets whose haproxy.basic-auth was refused. */
const refusedAuth = new WeakSet<object>();

/** The first problem of a failed parse, with where in the value it is (an allowlist's entry number). */
function firstIssue(error: z.ZodError, text: string): string {
  const issue = error.issues[0]!;
  const at = issue.path.filter((p) => typeof p === 'number');
  const entries = text.split(/[\s,]+/).filter(Boolean);
  return at.length === 1 && entries[at[0] as number] !== undefined ? `${JSON.stringify(entries[at[0] as number])}: ${issue.message}` : issue.message;
}

/** Sets `field` of the rules to the schema's output for the text, or says why not. */
function parsed<T>(schema: z.ZodType<T>, text: string, set: (value: T) => void): string | void {
  const r = schema.safeParse(text);
  if (!r.success) return firstIssue(r.error, text);
  set(r.data);
}

/** The access labels, in the shape of rule-labels.ts RuleLabel (realm after basic-auth: it amends it). */
export const ACCESS_RULE_LABELS = [
  { label: LABEL_ALLOW, field: 'allow', convert: (text: string, rules: Record<string, unknown>) => parsed(AllowText, text, (v) => (rules.allow = v)) },
  {
    label: LABEL_BASIC_AUTH,
    field: 'basicAuth',
    convert(text: string, rules: Record<string, unknown>): string | void {
      const m = REF.exec(text);
      const r = m ? BasicAuthRule.safeParse({ credentialsRef: m[1] === 'file' ? { file: m[2] } : { env: m[2] } }) : undefined;
      if (r?.success) return void (rules.basicAuth = r.data);
      // So a realm beside a refused reference is not also reported as alone.
      refusedAuth.add(rules);
      return r ? r.error.issues.map((i) => i.message).join('; ') : 'not a credentials reference (file:/absolute/path or env:VARIABLE)';
    },
  },
  {
    label: LABEL_BASIC_AUTH_REALM,
    field: 'basicAuth',
    convert(text: string, rules: Record<string, unknown>): string | void {
      const auth = rules.basicAuth as Record<string, unknown> | undefined;
      if (!auth && !refusedAuth.has(rules)) return `has no effect without ${LABEL_BASIC_AUTH}`;
      return parsed(Realm, text, (realm) => auth && (auth.realm = realm));
    },
  },
  { label: LABEL_RATE_LIMIT, field: 'rateLimit', convert: (text: string, rules: Record<string, unknown>) => parsed(RateLimitText, text, (v) => (rules.rateLimit = v)) },
] as const;
