/**
 * @module The access-rule labels (model/access-rules.ts): their keys, their
 * schemas (spread into the label decoder's), and the access fields of a
 * decoded label set. `haproxy.basic-auth` names where the credentials are
 * (`file:/abs/path` or `env:NAME`), never the credentials.
 */
import { z } from 'zod';
import { AllowText, RateLimitText, type AccessFields } from '../model/access-rules.ts';
import { BasicAuthRule, Realm, type BasicAuth } from '../model/basic-auth-input.ts';

export const LABEL_ALLOW = 'haproxy.allow';
export const LABEL_BASIC_AUTH = 'haproxy.basic-auth';
export const LABEL_BASIC_AUTH_REALM = 'haproxy.basic-auth-realm';
export const LABEL_RATE_LIMIT = 'haproxy.rate-limit';

export const ACCESS_LABELS = [LABEL_ALLOW, LABEL_BASIC_AUTH, LABEL_BASIC_AUTH_REALM, LABEL_RATE_LIMIT] as const;

const REF = /^(file|env):(.+)$/;
const BasicAuthRef = z
  .string()
  .trim()
  .regex(REF, { message: 'not a credentials reference (file:/absolute/path or env:VARIABLE)' })
  .transform((text, ctx): BasicAuth => {
    const [, kind, where] = REF.exec(text) as unknown as [string, string, string];
    const parsed = BasicAuthRule.safeParse({ credentialsRef: kind === 'file' ? { file: where } : { env: where } });
    if (parsed.success) return parsed.data;
    // The reference's own problems (unreadable, mode, bad lines); the label is the field.
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
    return z.NEVER;
  });

/** Label key -> schema, for the decoder's object schema. */
export const accessLabelShape = {
  [LABEL_ALLOW]: AllowText.optional(),
  [LABEL_BASIC_AUTH]: BasicAuthRef.optional(),
  [LABEL_BASIC_AUTH_REALM]: Realm.optional(),
  [LABEL_RATE_LIMIT]: RateLimitText.optional(),
};

type AccessLabelData = { [K in keyof typeof accessLabelShape]?: z.output<(typeof accessLabelShape)[K]> };

/** The access fields the labels ask for (none when no access label is set). */
export function accessFromLabels(data: AccessLabelData): AccessFields {
  const out: AccessFields = {};
  if (data[LABEL_ALLOW]) out.allow = data[LABEL_ALLOW];
  const auth = data[LABEL_BASIC_AUTH];
  if (auth) out.basicAuth = { ...auth, ...(data[LABEL_BASIC_AUTH_REALM] !== undefined ? { realm: data[LABEL_BASIC_AUTH_REALM] } : {}) };
  if (data[LABEL_RATE_LIMIT]) out.rateLimit = data[LABEL_RATE_LIMIT];
  return out;
}

/** A realm without `haproxy.basic-auth` does nothing: say so rather than ignore it. */
export function accessLabelProblems(data: AccessLabelData): Array<{ field: string; message: string }> {
  return data[LABEL_BASIC_AUTH_REALM] !== undefined && !data[LABEL_BASIC_AUTH] ? [{ field: LABEL_BASIC_AUTH_REALM, message: `has no effect without ${LABEL_BASIC_AUTH}` }] : [];
}
