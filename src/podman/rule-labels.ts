/**
 * @module Container labels for the per-host rules (model/rules.ts): which
 * label sets which RouteRules field, and how its text becomes the field's
 * value. The result is checked by RouteRules itself, so a label refuses what
 * the Domain resource and MCP refuse; each problem names the label and value.
 * A new rule adds its label to RULE_LABELS (and, if the label text needs
 * more than the value itself, a `convert`).
 */
import { RouteRules, canonicalHeader, RESPONSE_HEADERS } from '../model/rules.ts';
import { ACCESS_RULE_LABELS } from './access-labels.ts';

/** `haproxy.header.<Name>=<value>` sets one of the allowed response headers. */
export const HEADER_LABEL_PREFIX = 'haproxy.header.';

interface RuleLabel {
  label: string;
  /** The RouteRules field it sets. */
  field: keyof RouteRules;
  /** Label text -> field value; returns a message for text it refuses. */
  convert?(text: string, rules: Record<string, unknown>): string | void;
}

const BOOLEAN = 'not a boolean (true or false)';

/** `true` or `false`, as a boolean. */
function booleanLabel(text: string, set: (value: boolean) => void): string | void {
  if (text !== 'true' && text !== 'false') return BOOLEAN;
  set(text === 'true');
}

export const RULE_LABELS: readonly RuleLabel[] = [
  {
    label: 'haproxy.redirect-https',
    field: 'redirectHttps',
    convert(text, rules) {
      if (!['true', 'false', '301', '308'].includes(text)) return 'not true, false, 301 or 308 (true: redirect with 308)';
      rules.redirectHttps = text !== 'false';
      if (text === '301' || text === '308') rules.redirectCode = Number(text);
    },
  },
  { label: 'haproxy.redirect-to', field: 'redirectTo' },
  {
    label: 'haproxy.redirect-code',
    field: 'redirectCode',
    convert(text, rules) {
      if (text !== '301' && text !== '308') return 'not a redirect status (301 or 308)';
      rules.redirectCode = Number(text);
    },
  },
  { label: 'haproxy.hsts', field: 'hsts' },
  ...ACCESS_RULE_LABELS,
  { label: 'haproxy.strip-prefix', field: 'stripPrefix', convert: (text, rules) => booleanLabel(text, (v) => (rules.stripPrefix = v)) },
];

/** The rule label keys (header labels aside), for the known-label list and did-you-mean hints. */
export const RULE_LABEL_KEYS = RULE_LABELS.map((l) => l.label);

/** True for a `haproxy.header.*` key (valid or not: the decoder reports a bad name itself). */
export function isHeaderLabel(key: string): boolean {
  return key.startsWith(HEADER_LABEL_PREFIX);
}

/** One bad rule label (the same shape as labels.ts LabelProblem). */
export interface RuleLabelProblem {
  field: string;
  value: string;
  message: string;
}

/**
 * The rules a container's labels ask for (undefined: none), or every
 * problem, each naming its label and value.
 */
export function decodeRuleLabels(labels: Record<string, string>): { rules?: RouteRules; problems: RuleLabelProblem[] } {
  const problems: RuleLabelProblem[] = [];
  const raw: Record<string, unknown> = {};
  const labelOf = new Map<string, { label: string; value: string }>();
  for (const rule of RULE_LABELS) {
    const text = labels[rule.label];
    if (text === undefined) continue;
    const value = text.trim();
    labelOf.set(rule.field, { label: rule.label, value: text });
    const refused = rule.convert ? rule.convert(value, raw) : void (raw[rule.field] = value);
    if (refused) problems.push({ field: rule.label, value: text, message: refused });
  }
  const headers: Record<string, string> = {};
  for (const [key, text] of Object.entries(labels)) {
    if (!isHeaderLabel(key)) continue;
    const name = canonicalHeader(key.slice(HEADER_LABEL_PREFIX.length));
    if (!name) {
      problems.push({ field: key, value: text, message: `not an allowed response header (${RESPONSE_HEADERS.map((h) => HEADER_LABEL_PREFIX + h.toLowerCase()).join(', ')})` });
      continue;
    }
    headers[name] = text.trim();
    labelOf.set(`headers.${name}`, { label: key, value: text });
  }
  if (Object.keys(headers).length > 0) raw.headers = headers;
  if (Object.keys(raw).length === 0) return { problems };
  const parsed = RouteRules.safeParse(raw);
  if (parsed.success) return problems.length > 0 ? { problems } : { rules: parsed.data, problems };
  for (const issue of parsed.error.issues) {
    const at = labelOf.get(issue.path.join('.')) ?? labelOf.get(String(issue.path[0]));
    problems.push({ field: at?.label ?? 'haproxy.' + String(issue.path[0]), value: at?.value ?? '', message: issue.message });
  }
  return { problems };
}
