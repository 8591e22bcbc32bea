/**
 * @module zod schemas for MCP tool inputs and outputs. Inputs reuse the
 * validated scalars of model/names.ts (so nothing an agent sends can reach the
 * Runtime API unchecked); outputs describe the operations layer's views.
 */
import { z } from 'zod';
import { Family, Hostname, ServerState, wholeNumber } from '../model/names.ts';
import { isOwnedFileName, OWNED_MESSAGE } from '../store/saved-states.ts';

/** A slot number, bounded by the configured slots per pool. */
export function slotSchema(slots: number) {
  return wholeNumber(`not a slot (1-${slots})`, 1, slots)
    .describe(`Server slot within the domain's pool, 1-${slots}`);
}

export const DryRun = z
  .boolean()
  .default(false)
  .describe('When true, return the exact plan (runtime commands) and change nothing');

export const DomainArg = Hostname.describe('Domain (host name) as routed by domains.map, for example app.example.com');

export const FamilyArg = Family.optional().describe(
  'Server family: http (plain HTTP), ssl (TLS to the server), h3 (for HTTP/3 clients). Default http',
);

/** A file name inside the state directory: no path separators, no leading dot. */
export const StateFileArg = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { message: 'not a plain file name (letters, digits, . _ -; no slashes)' })
  .refine((name) => !isOwnedFileName(name), { message: OWNED_MESSAGE })
  .optional()
  .describe('Plain file name inside <state>/saved/; default server-state.txt when omitted');

export const PlanStepOut = z.object({
  description: z.string(),
  command: z.string(),
});

export const OverrideOut = z.object({
  state: ServerState.optional(),
  weight: z.number().optional(),
  by: z.string().optional(),
  at: z.string().optional(),
});

export const ServerOut = z.object({
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
  override: OverrideOut.optional().describe('Manual override; holds until haproxy_clear_override'),
  effectiveState: ServerState.describe('State HAProxy gets: the more restrictive of source state and override'),
  effectiveWeight: z.number(),
});

export const DomainOut = z.object({
  domain: z.string(),
  pool: z.number(),
  backend: z.string(),
  source: z.string(),
  holdMs: z.number().describe('How long requests wait while no server is in service (ms; 0: 503 at once)'),
  holdOverride: z.number().optional().describe('Set by haproxy_set_hold; wins over the source'),
  servers: z.array(ServerOut),
});

export const ChangeOut = z.object({
  dryRun: z.boolean().describe('True when nothing was changed and plan is what would be sent'),
  summary: z.string(),
  plan: z.array(PlanStepOut),
  domain: DomainOut.optional(),
});

export const HealthOut = z.object({
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

export const StatRowOut = z.object({
  proxy: z.string(),
  name: z.string(),
  type: z.enum(['frontend', 'backend', 'server', 'listener']),
  status: z.string(),
  currentSessions: z.number(),
  maxSessions: z.number(),
  totalSessions: z.number(),
  bytesIn: z.number(),
  bytesOut: z.number(),
  address: z.string().optional(),
  checkStatus: z.string().optional(),
  weight: z.number().optional(),
});
