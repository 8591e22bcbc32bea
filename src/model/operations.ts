/**
 * @module The operations API's inputs and outputs, as zod schemas: the one
 * source of these shapes. The operations layer validates with the inputs,
 * the MCP tools derive their input and output schemas from them, and the
 * TypeScript types are inferred here.
 */
import { z } from 'zod';
import { CheckPath, Family, IpAddress, Port, Provenance, ServerState, Weight, wholeNumber } from './names.ts';
import { ServerOverride } from './state.ts';
import { HoldMs } from './hold.ts';
import { RouteRules } from './rules.ts';
import { AccessView } from './access-rules.ts';
import { McpRules } from './rule-inputs.ts';
import { RouteKey } from './route-key.ts';

export const DomainArg = RouteKey.describe('Domain (host name) as routed by domains.map, for example app.example.com; or host/path for a path route, e.g. app.example.com/api');
export const FamilyArg = Family.describe('Server family: http (plain HTTP), ssl (TLS to the server), h3 (for HTTP/3 clients). Default http');
export const DryRunArg = z.boolean().default(false).describe('When true, return the exact plan (runtime commands) and change nothing');
const By = z.string().max(200).describe('Who set a manual override (recorded with it)');

/** A slot number, bounded by the configured slots per pool. */
export function slotArg(slots: number) {
  return wholeNumber(`not a slot (1-${slots})`, 1, slots).describe(`Server slot within the domain's pool, 1-${slots}`);
}

/** The inputs of the mutating operations; slot bounds come from the rendered capacity. */
function buildInputs(slots: number) {
  const ref = { domain: DomainArg, slot: slotArg(slots), family: FamilyArg.optional() };
  const server = z.object({
    domain: DomainArg,
    slot: slotArg(slots),
    family: FamilyArg.default('http'),
    ip: IpAddress,
    port: Port,
    weight: Weight.default(1),
    state: ServerState.default('ready'),
    check: CheckPath.optional().describe('HTTP health-check path; omit for no health check'),
    source: Provenance.default('manual'),
  });
  return {
    addDomain: z.object({
      domain: DomainArg,
      ip: IpAddress,
      port: Port.optional().describe('Server port; omit for the default 80/443 trio'),
      source: Provenance.default('manual'),
      dryRun: DryRunArg,
    }),
    removeDomain: z.object({ domain: DomainArg, dryRun: DryRunArg }),
    addServer: server.extend({ dryRun: DryRunArg }),
    /** One server of addServers (their dry run is the call's). */
    server,
    removeServer: z.object({ ...ref, dryRun: DryRunArg }),
    setServerState: z.object({ ...ref, state: ServerState, by: By.optional(), dryRun: DryRunArg }),
    setServerWeight: z.object({ ...ref, weight: Weight, by: By.optional(), dryRun: DryRunArg }),
    clearOverride: z.object({ ...ref, dryRun: DryRunArg }),
    setHold: z.object({ domain: DomainArg, holdMs: HoldMs.nullable(), dryRun: DryRunArg }),
    setRules: z.object({
      domain: DomainArg,
      rules: McpRules.nullable().describe('The rules (replacing those set before through MCP); null goes back to the source (labels, Domain spec.rules)'),
      dryRun: DryRunArg,
    }),
  };
}

const inputsBySlots = new Map<number, ReturnType<typeof buildInputs>>();

/**
 * The operation input schemas for `slots` slots per pool. One set per slot
 * count, so the operations layer and the MCP tools derived from it use the
 * very same schema objects.
 */
export function operationInputs(slots: number): ReturnType<typeof buildInputs> {
  let inputs = inputsBySlots.get(slots);
  if (!inputs) inputsBySlots.set(slots, (inputs = buildInputs(slots)));
  return inputs;
}

export type OperationInputs = ReturnType<typeof operationInputs>;
/** The mutating operations that take one input object (addServers takes a list of `server`). */
export const MUTATIONS = ['addDomain', 'removeDomain', 'addServer', 'removeServer', 'setServerState', 'setServerWeight', 'clearOverride', 'setHold', 'setRules'] as const;
export type MutationName = (typeof MUTATIONS)[number];

/** An input after parsing, defaults filled in: what the operations layer works with. */
export type OperationArgs<K extends keyof OperationInputs> = z.output<OperationInputs[K]>;
/** The fields of `S` that have a default. */
type DefaultedKeys<S extends z.ZodObject> = { [F in keyof S['shape']]: S['shape'][F] extends z.ZodDefault ? F : never }[keyof S['shape']];
/** `T` with the keys `K` optional. */
type Optional<T, K> = Omit<T, Extract<K, keyof T>> & Partial<Pick<T, Extract<K, keyof T>>>;
/** What a caller may pass before parsing: the parsed shape with the defaulted fields optional. */
export type OperationInput<K extends keyof OperationInputs> = Optional<OperationArgs<K>, DefaultedKeys<OperationInputs[K]>>;
export type AddDomainInput = OperationInput<'addDomain'>;
export type AddServerInput = OperationInput<'addServer'>;
export type ServerRef = OperationInput<'removeServer'>;

/** One runtime step the reconciler will send, in words and as the exact command. */
export const PlanStep = z.object({ description: z.string(), command: z.string() });
export type PlanStep = z.infer<typeof PlanStep>;

export const ServerView = z.object({
  name: z.string().describe('HAProxy server name, e.g. pool_3_ssl_1'),
  backend: z.string(),
  family: Family,
  slot: z.number(),
  address: z.string(),
  port: z.number(),
  weight: z.number().describe('Weight asked for by the source'),
  state: ServerState.describe('State asked for by the source'),
  check: z.string().optional(),
  source: z.string().describe('Provenance: manual, container:<id>, manifest:<kind>/<name> or import'),
  override: ServerOverride.optional().describe('Manual override; holds until haproxy_clear_override'),
  effectiveState: ServerState.describe('State HAProxy gets: the more restrictive of source state and override'),
  effectiveWeight: z.number(),
});
export type ServerView = z.infer<typeof ServerView>;

/** Rules as answers show them: basic auth by user names and origin, never its hashes (access-rules.ts accessView). */
const RulesView = RouteRules.extend(AccessView);

export const DomainView = z.object({
  domain: z.string(),
  pool: z.number(),
  backend: z.string(),
  source: z.string(),
  holdMs: z.number().describe('How long requests wait while no server is in service (ms; 0: 503 at once)'),
  holdOverride: z.number().optional().describe('Set by haproxy_set_hold; wins over the source'),
  rules: RulesView.optional().describe('Rules in effect for this route (source, then haproxy_set_rules over it)'),
  rulesOverride: RulesView.optional().describe('Set by haproxy_set_rules; each field wins over the source'),
  servers: z.array(ServerView),
});
export type DomainView = z.infer<typeof DomainView>;

/** What a mutating call did (or, with dryRun, would do). */
export const ChangeResult = z.object({
  dryRun: z.boolean().describe('True when nothing was changed and plan is what would be sent'),
  summary: z.string().describe('e.g. "added example.com -> pool_3 (pool_3_1 10.0.0.5:80)"'),
  plan: z.array(PlanStep).describe('Runtime commands sent (or that would be sent)'),
  domain: DomainView.optional(),
  unapplied: z.literal(true).optional().describe('Saved but not yet in HAProxy (unreachable): applied when it is back, or by the next sync'),
});
export type ChangeResult = z.infer<typeof ChangeResult>;

export const ServerHealth = z.object({
  name: z.string(),
  backend: z.string(),
  family: Family,
  slot: z.number(),
  address: z.string(),
  port: z.number(),
  status: z.string().describe('UP, DOWN, MAINT, DRAIN or NOLB as HAProxy reports it'),
  checkStatus: z.string(),
  currentSessions: z.number(),
});
export type ServerHealth = z.infer<typeof ServerHealth>;

/** A server that a source (container watcher, resources) wants; slots are chosen by the operations layer. */
export const SourceServer = z.object({
  /** container:<id> or manifest:<kind>/<name>. */
  source: Provenance,
  domain: z.string(),
  family: Family,
  address: z.string(),
  port: z.number(),
  weight: z.number().optional(),
  state: ServerState,
  check: z.string().optional(),
  /** Hold time in ms the source asks for its domain (model/hold.ts); absent: the default. */
  hold: z.number().optional(),
  /** Rules the source asks for its route (model/rules.ts). */
  rules: RouteRules.optional(),
  /** A source this one replaces (a new container with an old one's name): it takes that source's slot. */
  replaces: Provenance.optional(),
});
export type SourceServer = z.infer<typeof SourceServer>;

export const SyncResult = z.object({
  changed: z.boolean(),
  plan: z.array(PlanStep),
  /** Servers that could not be placed (pool full, no pool free), each with its reason. */
  rejected: z.array(z.object({ server: SourceServer, reason: z.string() })),
  /** Saved but not yet in HAProxy (unreachable): the source should sync again shortly. */
  unapplied: z.literal(true).optional(),
});
export type SyncResult = z.infer<typeof SyncResult>;

/** `haproxy -c` on the configuration. */
export const ConfigCheck = z.object({ valid: z.boolean(), output: z.string().describe('haproxy -c output') });
export type ConfigCheck = z.infer<typeof ConfigCheck>;

export const ReloadResult = z.object({ oldPid: z.number(), newPid: z.number(), restoredCommands: z.number() });
export type ReloadResult = z.infer<typeof ReloadResult>;

export const SavedState = z.object({ file: z.string(), servers: z.number() });
export type SavedState = z.infer<typeof SavedState>;

/** What haproxy_restore_state did (or, with dryRun, would do). */
export const RestoreStateResult = z.object({
  file: z.string(),
  dryRun: z.boolean(),
  summary: z.string(),
  restored: z
    .array(z.object({ server: z.string(), domain: z.string(), address: z.string(), port: z.number(), weight: z.number(), state: ServerState }))
    .describe('Servers set from the file: pool_1_2 10.0.0.5:80 weight 1 ready'),
  skipped: z.array(z.object({ server: z.string(), reason: z.string() })).describe('Entries left alone, each with why (owned by a container or manifest, no domain on the pool, beyond capacity)'),
  plan: z.array(PlanStep),
});
export type RestoreStateResult = z.infer<typeof RestoreStateResult>;
