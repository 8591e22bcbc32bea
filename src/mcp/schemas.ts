/**
 * @module zod schemas for MCP tool inputs and outputs, taken from model/: the
 * operations API's own input and view schemas (so nothing an agent sends
 * can reach the Runtime API unchecked, and a tool's shape cannot drift from
 * the operation it calls), plus what only MCP has (snake_case dry_run, state
 * file names).
 */
import { z } from 'zod';
import { DryRunArg } from '../model/operations.ts';
import { isOwnedFileName, OWNED_MESSAGE } from '../model/owned-files.ts';

export { ChangeResult as ChangeOut, DomainArg, DomainView as DomainOut, PlanStep as PlanStepOut, ServerHealth as HealthOut, ServerView as ServerOut} from '../model/operations.ts';
export { StatRow as StatRowOut } from '../model/haproxy.ts';

export const DryRun = DryRunArg;

/**
 * An operation's input schema as its MCP tool takes it: the same field
 * schemas, minus the fields the tool sets itself (`omit`), `dryRun` spelt
 * `dry_run`, unknown arguments refused. The tool's one parse yields the
 * operation's arguments (see `operationArgs`), which go to `ops.parsed`
 * without a second parse.
 */
export function toolInput<S extends z.ZodRawShape & { dryRun: typeof DryRunArg }, K extends keyof S = never>(schema: z.ZodObject<S>, omit: readonly K[] = []) {
  const shape = Object.fromEntries(Object.entries(schema.shape).filter(([key]) => key !== 'dryRun' && !omit.includes(key as K))) as Omit<S, K | 'dryRun'>;
  return z.strictObject({ ...shape, dry_run: DryRun });
}

/** Parsed tool arguments back in the operation's spelling (`dry_run` -> `dryRun`). */
export function operationArgs<T extends { dry_run: boolean }>(args: T): Omit<T, 'dry_run'> & { dryRun: boolean } {
  const { dry_run: dryRun, ...rest } = args;
  return { ...rest, dryRun };
}

/** A file name inside the state directory: no path separators, no leading dot. */
export const StateFileArg = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { message: 'not a plain file name (letters, digits, . _ -; no slashes)' })
  .refine((name) => !isOwnedFileName(name), { message: OWNED_MESSAGE })
  .optional()
  .describe('Plain file name inside <state>/saved/; default server-state.txt when omitted');
