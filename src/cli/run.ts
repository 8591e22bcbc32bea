/**
 * @module runCli: the client commands (apply, get, delete, explain, cert)
 * that talk to the running operator over its HTTP listener. main.ts calls
 * it for those command names. Exit codes: 0 done, 1 failed (operator
 * unreachable, refused, invalid manifests), 2 bad usage or input.
 */
import type { Readable } from 'node:stream';
import { OperatorError, ValidationError } from '../model/errors.ts';
import { commandHelp, parseCommandArgs, UsageError, type CommandSpec, type ParsedCommand } from './args.ts';
import { certIssueRemote, certListRemote, certRenewRemote } from './cert-commands.ts';
import { createContext, emit, type CliContext, type CliIo } from './context.ts';
import { explainCommand } from './explain-command.ts';
import { exportKubernetesCommand } from './export-command.ts';
import { applyCommand, deleteCommand, getCommand } from './resource-commands.ts';
import { APPLY, CERT_ISSUE, CERT_LIST, CERT_RENEW, CLI_COMMANDS, DELETE, EXPLAIN, EXPORT_KUBERNETES, GET, certGroupHelp } from './specs.ts';

export { CLI_COMMANDS } from './specs.ts';
export type { CliIo } from './context.ts';

export interface RunCliOptions {
  cwd?: string;
  /** For `-f -`; default process.stdin. */
  stdin?: Readable;
  now?: () => Date;
  /** Program name in help and hints; default haproxy-operator. */
  program?: string;
}

type Run = (ctx: CliContext, args: ParsedCommand) => Promise<number>;

const COMMANDS = new Map<string, { spec: CommandSpec; run: Run }>([
  ['apply', { spec: APPLY, run: applyCommand }],
  ['delete', { spec: DELETE, run: deleteCommand }],
  ['get', { spec: GET, run: getCommand }],
  ['explain', { spec: EXPLAIN, run: explainCommand }],
  ['cert list', { spec: CERT_LIST, run: certListRemote }],
  ['cert issue', { spec: CERT_ISSUE, run: certIssueRemote }],
  ['cert renew', { spec: CERT_RENEW, run: certRenewRemote }],
  ['export kubernetes', { spec: EXPORT_KUBERNETES, run: exportKubernetesCommand }],
]);

/** Whether `command` is one runCli handles. */
export function isCliCommand(command: string): boolean {
  return CLI_COMMANDS.some((c) => c.name === command);
}

/**
 * Runs one client command. `argv` is everything after the command word;
 * output goes to `io` line by line; the token is read from
 * --mcp-token-file or `env` and never printed. Resolves with the exit code;
 * never throws.
 */
export async function runCli(command: string, argv: string[], io: CliIo, env: NodeJS.ProcessEnv, opts: RunCliOptions = {}): Promise<number> {
  const program = opts.program ?? 'haproxy-operator';
  let key = command;
  let rest = argv;
  if (command === 'cert') {
    const [sub, ...after] = argv;
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      emit(sub === undefined ? io.err : io.out, certGroupHelp(program));
      return sub === undefined ? 2 : 0;
    }
    key = `cert ${sub}`;
    rest = after;
  } else if (command === 'export') {
    // One target today; the word keeps room for others (and reads as what it makes).
    const [sub, ...after] = argv;
    if (sub !== 'kubernetes') {
      io.err(sub === undefined ? 'error: export needs a target: export kubernetes' : `error: export ${JSON.stringify(sub)}: unknown target; expected kubernetes`);
      return 2;
    }
    key = 'export kubernetes';
    rest = after;
  }
  const entry = COMMANDS.get(key);
  if (!entry) {
    io.err(`error: unknown command ${JSON.stringify(key)}; commands: ${CLI_COMMANDS.map((c) => c.name).join(', ')}`);
    return 2;
  }
  try {
    const args = parseCommandArgs(entry.spec, rest);
    if (args.help) {
      emit(io.out, commandHelp(entry.spec, program));
      return 0;
    }
    const ctx = createContext({ io, env, cwd: opts.cwd ?? process.cwd(), stdin: opts.stdin ?? process.stdin, now: opts.now ?? (() => new Date()), flags: args.flags });
    return await entry.run(ctx, args);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}`);
      io.err(`see: ${program} ${key} --help`);
      return 2;
    }
    if (err instanceof ValidationError) {
      io.err(`error: ${err.message}`);
      return 2;
    }
    io.err(`error: ${err instanceof OperatorError ? err.message : (err as Error).stack ?? String(err)}`);
    return 1;
  }
}
