#!/usr/bin/env node
/**
 * @module Command-line entry: `haproxy-operator [run]` starts the operator;
 * the other commands are mounted here, the only place that knows every
 * module.
 */
import { OperatorError } from './model/errors.ts';
import { createLogger } from './log.ts';
import { helpText, parseArgv, resolveSettings } from './config/settings.ts';
import { ALL_OPTIONS, IMPORT_OPTIONS, RENDER_OPTIONS, type OptionDef } from './config/options.ts';
import { renderFor, statePaths } from './operator.ts';
import { holdLuaFile, writeHoldLua } from './haproxy/hold-lua.ts';
import { describeTarget, targetCapabilities } from './haproxy/target-capabilities.ts';
import { runOperator, type Running } from './wiring/run.ts';
import { createLifecycle, StartAborted, type Lifecycle } from './lifecycle.ts';
import { IMPORT_HELP_KEYS, IMPORT_USAGE, importCommand } from './migrate/import-command.ts';
import { runStdio } from './mcp/stdio.ts';
import { createAuditLog } from './audit/audit-log.ts';
import { certProvider } from './wiring/certs.ts';
import { dirname, join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { CLI_COMMANDS, isCliCommand, runCli } from './cli/run.ts';

const USAGE = `haproxy-operator: HAProxy routing, certificates and MCP tools for one Podman host

Usage:
  haproxy-operator [run] [options]
      run the operator (default)
  haproxy-operator mcp --stdio [options]
      run the operator with MCP on stdin/stdout (logs go to stderr)
  haproxy-operator render-config [options]
      print the haproxy.cfg the operator uses (external mode: give it to HAProxy)
  haproxy-operator import --from DIR [--dry-run] [options]
      import an install of the original suite (conf/, certs/, cloudflare.ini)
${CLI_COMMANDS.map((c) => `  haproxy-operator ${c.usage}\n      ${c.description} (talks to the running operator)`).join('\n')}
  haproxy-operator <command> --help
      help of one command`;

type Command = { options: readonly OptionDef[]; usage?: string; helpKeys?: readonly string[]; run: (values: Record<string, string>, rest: string[]) => Promise<number | void> };

/** How long a stop waits for a start in progress to unwind before exiting anyway. */
const START_UNWIND_MS = 10_000;

/**
 * SIGINT/SIGTERM at any moment: the first stops every part started so far
 * (also while the start is still running: it unwinds at its next step) and
 * exits 0; a second one during a slow shutdown SIGKILLs the children
 * (HAProxy, the Podman API service) and exits 130.
 */
function stopOnSignals(life: Lifecycle, starting: () => Promise<unknown> | undefined, logger: ReturnType<typeof createLogger>): void {
  let signals = 0;
  const onSignal = async (signal: string) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: forcing shutdown (children are killed)');
      life.force();
      logger.flush?.();
      process.exit(130);
    }
    logger.info({ signal }, 'shutting down');
    await life.stop();
    const start = starting();
    if (start) await Promise.race([start.catch(() => undefined), new Promise((r) => setTimeout(r, START_UNWIND_MS).unref())]);
    // Parts the unwinding start registered after the first pass.
    await life.stop();
    logger.flush?.();
    process.exit(0);
  };
  process.on('SIGINT', () => void onSignal('SIGINT'));
  process.on('SIGTERM', () => void onSignal('SIGTERM'));
}

async function startOrExit(values: Record<string, string>, logLevel?: string): Promise<{ running: Running; logger: ReturnType<typeof createLogger> } | undefined> {
  const settings = resolveSettings(values, process.env, process.cwd(), ALL_OPTIONS);
  const logger = createLogger({ level: logLevel ?? settings.logLevel });
  const life = createLifecycle((error) => logger.error({ err: error }, 'shutdown step failed'));
  let start: Promise<Running> | undefined;
  stopOnSignals(life, () => start, logger);
  start = runOperator(settings, logger, { life });
  try {
    return { running: await start, logger };
  } catch (error) {
    // A stop request unwound the start: the signal handler exits.
    if (error instanceof StartAborted || (life.signal.aborted && !life.startFailed)) return await new Promise<never>(() => undefined);
    // Our own errors are complete sentences; a stack only helps for the unexpected.
    if (error instanceof OperatorError) logger.fatal(error.message);
    else logger.fatal({ err: error }, (error as Error).message);
    logger.flush?.();
    process.exit(1);
  }
}

const COMMANDS: Record<string, Command> = {
  run: {
    options: ALL_OPTIONS,
    run: async (values) => {
      await startOrExit(values);
    },
  },
  mcp: {
    options: [...ALL_OPTIONS, { key: 'stdio', type: 'bool', default: 'false', help: 'serve MCP on stdin/stdout' }],
    run: async (values) => {
      if (values.stdio !== 'true') throw new OperatorError('mcp: only --stdio is a separate command; streamable HTTP is served by `run` at --listen /mcp');
      const started = await startOrExit(values);
      if (!started) return;
      const { running, logger } = started;
      const settings = running.operator.settings;
      const stdio = await runStdio({
        ops: running.operator.ops,
        admin: running.operator.admin,
        logger,
        audit: createAuditLog({ file: join(settings.stateDir, 'audit.log'), logger }),
        settings: { slots: settings.slots },
        certs: certProvider(running.certInventory, { logger }),
      });
      await stdio.closed;
      await running.stop();
      process.exit(0);
    },
  },
  'render-config': {
    options: [...ALL_OPTIONS, ...RENDER_OPTIONS],
    run: async (values) => {
      const settings = resolveSettings(values, process.env, process.cwd(), [...ALL_OPTIONS, ...RENDER_OPTIONS]);
      const target = await targetCapabilities({ haproxyBin: settings.haproxyBin, runtimeApi: settings.runtimeApi, ...settings.render });
      process.stderr.write(`${describeTarget(target)}\n`);
      process.stdout.write(await renderFor(settings, target.caps));
      // The config loads hold.lua from the conf dir: HAProxy does not start without it.
      const lua = holdLuaFile(statePaths(settings).mapFile);
      await mkdir(dirname(lua), { recursive: true });
      await writeHoldLua(statePaths(settings).mapFile);
      process.stderr.write(`render-config: wrote ${lua}\n`);
    },
  },
  import: {
    options: [...ALL_OPTIONS, ...IMPORT_OPTIONS],
    usage: IMPORT_USAGE,
    helpKeys: IMPORT_HELP_KEYS,
    run: async (values) => {
      const defs = [...ALL_OPTIONS, ...IMPORT_OPTIONS];
      const settings = resolveSettings(values, process.env, process.cwd(), defs);
      return importCommand(settings, { logger: createLogger({ level: settings.logLevel }), now: () => new Date(), print: (s) => process.stdout.write(s) });
    },
  },
};

async function main(argv: string[]): Promise<number | void> {
  // Client commands talk to a running operator and parse their own arguments (-f, -o).
  if (argv[0] && isCliCommand(argv[0])) {
    return runCli(argv[0], argv.slice(1), { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) }, process.env);
  }
  const first = argv.find((a) => !a.startsWith('-'));
  const name = first && COMMANDS[first] ? first : 'run';
  const command = COMMANDS[name]!;
  const parsed = parseArgv(argv, command.options);
  const rest = parsed.positionals.filter((p, i) => !(i === 0 && p === name));
  if (parsed.help) {
    const keys = command.helpKeys;
    console.log(helpText(command.usage ?? USAGE, keys ? command.options.filter((o) => keys.includes(o.key)) : command.options));
    return 0;
  }
  const unknown = rest.find((p) => p.startsWith('-'));
  if (unknown) throw new OperatorError(`unknown option ${unknown}; see --help`);
  if (rest.length > 0) throw new OperatorError(`unknown command or argument ${JSON.stringify(rest[0])}; see --help`);
  return command.run(parsed.values, rest);
}

// A reader that stops early (`render-config | head`) closes the pipe: that ends the command, quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2))
  .then((code) => {
    if (typeof code === 'number') process.exitCode = code;
  })
  .catch((error: unknown) => {
    const message = error instanceof OperatorError ? error.message : ((error as Error).stack ?? String(error));
    console.error(`haproxy-operator: ${message}`);
    process.exit(2);
  });
