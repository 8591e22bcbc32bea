#!/usr/bin/env node
/**
 * @module Command-line entry: `haproxy-operator [run]` starts the operator;
 * other commands are mounted here, the only place that knows every module.
 */
import { OperatorError } from './model/errors.ts';
import { createLogger } from './log.ts';
import { helpText, parseArgv, resolveSettings } from './config/settings.ts';
import { OPTIONS } from './config/options.ts';
import { renderFor, startOperator } from './operator.ts';
import { detectCapabilities } from './haproxy/capabilities.ts';

const USAGE = `haproxy-operator: HAProxy routing, certificates and MCP tools for one Podman host

Usage:
  haproxy-operator [run] [options]        run the operator (default)
  haproxy-operator render-config [options] print the haproxy.cfg the operator would use (external mode: feed it to HAProxy)
  haproxy-operator --help                 this text`;

async function run(flags: Record<string, string>): Promise<void> {
  const settings = resolveSettings(flags, process.env, process.cwd(), OPTIONS);
  const logger = createLogger({ level: settings.logLevel });
  let operator: Awaited<ReturnType<typeof startOperator>> | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await operator?.stop();
    logger.flush?.();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    operator = await startOperator(settings, logger);
  } catch (error) {
    logger.fatal({ err: error }, (error as Error).message);
    logger.flush?.();
    process.exit(1);
  }
  if (stopping) await operator.stop();
}

async function main(argv: string[]): Promise<void> {
  const parsed = parseArgv(argv, OPTIONS);
  const [command = 'run', ...rest] = parsed.positionals;
  if (parsed.help) {
    console.log(helpText(USAGE, OPTIONS));
    return;
  }
  const unknownFlag = rest.find((p) => p.startsWith('--')) ?? (command.startsWith('--') ? command : undefined);
  if (unknownFlag) throw new OperatorError(`unknown option ${unknownFlag}; see --help`);
  switch (command) {
    case 'run':
      return run(parsed.values);
    case 'render-config': {
      const settings = resolveSettings(parsed.values, process.env, process.cwd(), OPTIONS);
      const caps = await detectCapabilities(settings.haproxyBin).catch(() => ({ quic: false }));
      process.stdout.write(await renderFor(settings, caps.quic));
      return;
    }
    default:
      throw new OperatorError(`unknown command ${JSON.stringify(command)}; see --help`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof OperatorError ? error.message : (error as Error).stack ?? String(error);
  console.error(`haproxy-operator: ${message}`);
  process.exit(2);
});
