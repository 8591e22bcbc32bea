/**
 * @module zod schemas for MCP tool inputs and outputs, taken from model/: the
 * operations API's own argument and view schemas (so nothing an agent sends
 * can reach the Runtime API unchecked, and a tool's shape cannot drift from
 * the operation it calls), plus what only MCP has (snake_case dry_run, state
 * file names).
 */
import { z } from 'zod';
import { DryRunArg, FamilyArg as Family } from '../model/operations.ts';
import { isOwnedFileName, OWNED_MESSAGE } from '../model/owned-files.ts';

export { ChangeResult as ChangeOut, DomainArg, DomainView as DomainOut, PlanStep as PlanStepOut, ServerHealth as HealthOut, ServerView as ServerOut, slotArg as slotSchema } from '../model/operations.ts';
export { StatRow as StatRowOut } from '../model/haproxy.ts';

export const DryRun = DryRunArg;
export const FamilyArg = Family.optional();

/** A file name inside the state directory: no path separators, no leading dot. */
export const StateFileArg = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { message: 'not a plain file name (letters, digits, . _ -; no slashes)' })
  .refine((name) => !isOwnedFileName(name), { message: OWNED_MESSAGE })
  .optional()
  .describe('Plain file name inside <state>/saved/; default server-state.txt when omitted');
