/**
 * @module Container labels -> typed routing config. Every problem of a
 * container is reported at once, each naming the label and its value, and an
 * unknown `haproxy.*` key gets a did-you-mean hint, so a typo never fails
 * silently (traefik#8013) and never affects other containers.
 */
import { z } from 'zod';
import { OperatorError, showValue } from '../model/errors.ts';
import { CheckPath, Hostname, Port, Weight } from '../model/names.ts';
import { HoldText } from '../model/hold.ts';
import { RoutePath } from '../model/route-key.ts';
import {
  DEFAULT_CONTAINER_PORT,
  KNOWN_LABELS,
  LABEL_ADDRESS,
  LABEL_CHECK,
  LABEL_DOMAIN,
  LABEL_ENABLE,
  LABEL_HOLD,
  LABEL_NETWORK,
  LABEL_PATH,
  LABEL_PORT,
  LABEL_PREFIX,
  LABEL_TLS,
  LABEL_WEIGHT,
} from './label-keys.ts';
import { decodeRuleLabels, isHeaderLabel } from './rule-labels.ts';
import type { RouteRules } from '../model/rules.ts';

/** One bad label: the key, its raw value, what is wrong, and maybe a hint. */
export interface LabelProblem {
  field: string;
  value: string | undefined;
  message: string;
  hint?: string;
}

/** Routing config decoded from a container's labels. */
export interface ContainerLabels {
  /** Hosts routed to this container, lowercased, deduplicated, in label order. */
  domains: string[];
  /** Container port (haproxy.port, default 80). */
  port: number;
  weight?: number;
  network?: string;
  address: 'container' | 'published';
  tls?: 'auto' | 'off';
  check?: string;
  /** Hold time in ms (haproxy.hold). */
  hold?: number;
  /** Path prefix (haproxy.path): the container serves only this prefix of its hosts. */
  path?: string;
  /** Rules for the container's routes (rule-labels.ts). */
  rules?: RouteRules;
}

/** What the labels say: not ours, disabled, valid, or invalid with every problem. */
export type LabelDecision =
  | { kind: 'unlabelled' }
  | { kind: 'disabled' }
  | { kind: 'valid'; config: ContainerLabels }
  | { kind: 'invalid'; problems: LabelProblem[] };

/** A container's labels are invalid; carries every problem. */
export class LabelError extends OperatorError {
  constructor(
    readonly container: string,
    readonly problems: LabelProblem[],
  ) {
    super(problems.map((p) => formatLabelProblem(container, p)).join('; '));
  }
}

const digits = (what: string) => z.string().trim().regex(/^\d{1,6}$/, { message: `not ${what}` });
// Port and Weight coerce from `unknown`; zod's pipe typing wants a string input here.
const fromDigits = (schema: z.ZodType<number, unknown>) => schema as unknown as z.ZodType<number, string>;

const DomainList = z
  .string()
  .transform((v) => v.split(',').map((h) => h.trim()).filter((h) => h !== ''))
  .pipe(z.array(Hostname).min(1, { message: 'no host name given' }));

const NetworkName = z
  .string()
  .trim()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, { message: 'not a network name (letters, digits, _ . -)' });

const LabelSchema = z.object({
  [LABEL_DOMAIN]: DomainList,
  [LABEL_PORT]: digits('a port (1-65535)').pipe(fromDigits(Port)).optional(),
  [LABEL_WEIGHT]: digits('a weight (0-256)').pipe(fromDigits(Weight)).optional(),
  [LABEL_NETWORK]: NetworkName.optional(),
  [LABEL_ADDRESS]: z.enum(['container', 'published'], { message: 'not an address mode (container or published)' }).optional(),
  [LABEL_TLS]: z.enum(['auto', 'off'], { message: 'not a TLS mode (auto or off)' }).optional(),
  [LABEL_CHECK]: CheckPath.optional(),
  [LABEL_ENABLE]: z.enum(['true', 'false'], { message: 'not a boolean (true or false)' }).optional(),
  [LABEL_HOLD]: HoldText.optional(),
  [LABEL_PATH]: RoutePath.optional(),
});

/** Optimal-string-alignment distance: a swap of two letters counts as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known label closest to `key` (at most 2 edits, case-insensitive), if any. */
export function suggestLabel(key: string): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const known of KNOWN_LABELS) {
    const distance = editDistance(key.toLowerCase(), known);
    if (distance <= 2 && (!best || distance < best.distance)) best = { key: known, distance };
  }
  return best?.key;
}

/** `container web-1: label haproxy.prot="8080": unknown label; did you mean haproxy.port?` */
export function formatLabelProblem(container: string, p: LabelProblem): string {
  const shown = p.value === undefined ? '' : `=${showValue(p.value)}`;
  return `container ${container}: label ${p.field}${shown}: ${p.message}${p.hint ? `; ${p.hint}` : ''}`;
}

/**
 * Decodes the `haproxy.*` labels of one container. Never throws: bad input
 * comes back as `invalid` with every problem, in KNOWN_LABELS order, then
 * unknown keys in label order.
 */
export function decodeLabels(labels: Record<string, string> | null | undefined): LabelDecision {
  const own = Object.entries(labels ?? {}).filter(([k]) => k.startsWith(LABEL_PREFIX));
  if (own.length === 0) return { kind: 'unlabelled' };
  const input = Object.fromEntries(own);
  if (input[LABEL_ENABLE]?.trim() === 'false') return { kind: 'disabled' };

  const problems: LabelProblem[] = [];
  const result = LabelSchema.safeParse(input);
  if (!result.success) {
    const seen = new Set<string>();
    for (const issue of result.error.issues) {
      const field = String(issue.path[0] ?? LABEL_DOMAIN);
      const value = input[field];
      const entry = field === LABEL_DOMAIN && issue.path.length > 1 ? domainEntry(value, issue.path[1]) : undefined;
      const message =
        value === undefined ? 'required: set it to the host name(s) to route, comma separated' : entry !== undefined ? `${showValue(entry)} is ${issue.message}` : issue.message;
      const key = `${field}\0${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push({ field, value, message });
    }
  }
  const ruleLabels = decodeRuleLabels(input);
  problems.push(...ruleLabels.problems);
  if (input['haproxy.strip-prefix']?.trim() === 'true' && input[LABEL_PATH] === undefined) {
    problems.push({ field: 'haproxy.strip-prefix', value: input['haproxy.strip-prefix'], message: `needs ${LABEL_PATH} (the prefix to strip)` });
  }
  problems.sort((a, b) => KNOWN_LABELS.indexOf(a.field) - KNOWN_LABELS.indexOf(b.field));
  for (const [key, value] of own) {
    if (KNOWN_LABELS.includes(key) || isHeaderLabel(key)) continue;
    const suggestion = suggestLabel(key);
    problems.push({
      field: key,
      value,
      message: 'unknown label',
      hint: suggestion ? `did you mean ${suggestion}?` : `known labels: ${KNOWN_LABELS.join(', ')}`,
    });
  }
  if (problems.length > 0 || !result.success) return { kind: 'invalid', problems };

  const data = result.data;
  const config: ContainerLabels = {
    domains: [...new Set(data[LABEL_DOMAIN])],
    port: data[LABEL_PORT] ?? DEFAULT_CONTAINER_PORT,
    address: data[LABEL_ADDRESS] ?? 'container',
  };
  if (data[LABEL_WEIGHT] !== undefined) config.weight = data[LABEL_WEIGHT];
  if (data[LABEL_NETWORK] !== undefined) config.network = data[LABEL_NETWORK];
  if (data[LABEL_TLS] !== undefined) config.tls = data[LABEL_TLS];
  if (data[LABEL_CHECK] !== undefined) config.check = data[LABEL_CHECK];
  if (data[LABEL_HOLD] !== undefined) config.hold = data[LABEL_HOLD];
  if (data[LABEL_PATH] !== undefined && data[LABEL_PATH] !== '/') config.path = data[LABEL_PATH];
  if (ruleLabels.rules) config.rules = ruleLabels.rules;
  return { kind: 'valid', config };
}

function domainEntry(value: string | undefined, index: PropertyKey | undefined): string | undefined {
  if (value === undefined || typeof index !== 'number') return undefined;
  const entries = value.split(',').map((h) => h.trim()).filter((h) => h !== '');
  return entries.length > 1 ? entries[index] : undefined;
}
