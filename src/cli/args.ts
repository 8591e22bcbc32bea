/**
 * @module Argument parsing for the client commands (apply, get, delete,
 * explain, cert ...): each command declares its flags and positionals, and
 * the same declaration produces its --help text, so the two cannot drift.
 * Accepts `--flag value`, `--flag=value`, `-f value`, `-f=value`, `--` to end
 * flags, and `-` as a value (stdin). Errors name the flag and the value.
 */
import { OperatorError, showValue } from '../model/errors.ts';

export interface FlagSpec {
  /** Long name without dashes, e.g. `dry-run`. */
  name: string;
  short?: string;
  /** Placeholder shown in help; present means the flag takes a value. */
  value?: string;
  choices?: readonly string[];
  help: string;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  help: string;
}

export interface CommandSpec {
  /** `apply`, `get`, `cert issue`, ... */
  name: string;
  summary: string;
  /** Extra paragraphs after the usage line: examples, notes. */
  details?: string;
  positionals: readonly PositionalSpec[];
  flags: readonly FlagSpec[];
}

export interface ParsedCommand {
  /** Values by long flag name; boolean flags are `true` when given. */
  flags: Record<string, string | true>;
  positionals: string[];
  help: boolean;
}

/** Wrong command-line usage: the message names the flag or argument and the value. Exit code 2. */
export class UsageError extends OperatorError {}

/** Flags every client command takes: where the operator is and how to authenticate. */
export const CONNECTION_FLAGS: readonly FlagSpec[] = [
  { name: 'listen', value: 'IP:PORT', help: 'the operator HTTP listener to talk to (same setting as the operator; env HAPROXY_OPERATOR_LISTEN; default 127.0.0.1:8000)' },
  { name: 'mcp-token-file', value: 'FILE', help: 'file holding the bearer token (as the operator reads it); or env HAPROXY_OPERATOR_MCP_TOKEN' },
  { name: 'config', value: 'FILE', help: "the operator's YAML config file; its listen and mcpTokenFile keys are used (env HAPROXY_OPERATOR_CONFIG)" },
];

function allFlags(spec: CommandSpec): FlagSpec[] {
  return [...spec.flags, ...CONNECTION_FLAGS];
}

/** Parses `argv` (the words after the command) against `spec`; throws UsageError. */
export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  const flags = allFlags(spec);
  const byLong = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const out: ParsedCommand = { flags: {}, positionals: [], help: false };
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) {
      out.positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    const long = arg.startsWith('--');
    const eq = arg.indexOf('=');
    const key = arg.slice(long ? 2 : 1, eq < 0 ? undefined : eq);
    const flag = long ? byLong.get(key) : byShort.get(key);
    if (!flag) throw new UsageError(`unknown option ${arg.slice(0, eq < 0 ? undefined : eq)} for ${spec.name}`);
    const shown = long ? `--${flag.name}` : `-${flag.short}`;
    if (!flag.value) {
      if (eq >= 0) throw new UsageError(`${shown} takes no value (got ${showValue(arg.slice(eq + 1))})`);
      out.flags[flag.name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      // `-f -` is stdin; any other word starting with - is the next flag, not a value.
      if (next !== undefined && (next === '-' || !next.startsWith('-'))) value = argv[++i];
    }
    if (value === undefined || value === '') throw new UsageError(`${shown} needs a value (${flag.value})`);
    if (flag.choices && !flag.choices.includes(value)) throw new UsageError(`${shown}=${showValue(value)}: expected one of ${flag.choices.join(', ')}`);
    if (out.flags[flag.name] !== undefined && out.flags[flag.name] !== value) throw new UsageError(`${shown} given twice (${showValue(out.flags[flag.name])} and ${showValue(value)})`);
    out.flags[flag.name] = value;
  }
  if (out.help) return out;
  const required = spec.positionals.filter((p) => p.required);
  if (out.positionals.length < required.length) {
    throw new UsageError(`missing ${required.slice(out.positionals.length).map((p) => `<${p.name}>`).join(' ')} for ${spec.name}`);
  }
  if (out.positionals.length > spec.positionals.length) {
    throw new UsageError(`unexpected argument ${showValue(out.positionals[spec.positionals.length])} for ${spec.name}`);
  }
  return out;
}

function usageLine(spec: CommandSpec, program: string): string {
  const pos = spec.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`));
  return [`${program} ${spec.name}`, ...pos, '[options]'].join(' ');
}

/** The --help text of one command: usage, summary, arguments, options. */
export function commandHelp(spec: CommandSpec, program = 'haproxy-operator'): string {
  const lines = [`Usage: ${usageLine(spec, program)}`, '', spec.summary];
  if (spec.details) lines.push('', spec.details);
  if (spec.positionals.length) {
    lines.push('', 'Arguments:');
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(24)}${p.help}`);
  }
  const flagLine = (f: FlagSpec) => {
    const names = `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.value ? ` ${f.value}` : ''}`;
    const help = `${f.help}${f.choices ? ` [${f.choices.join('|')}]` : ''}`;
    return names.length < 28 ? `  ${names.padEnd(28)}${help}` : `  ${names}\n  ${''.padEnd(28)}${help}`;
  };
  lines.push('', 'Options:');
  for (const f of spec.flags) lines.push(flagLine(f));
  lines.push(flagLine({ name: 'help', short: 'h', help: 'show this help' }));
  lines.push('', 'Connection:');
  for (const f of CONNECTION_FLAGS) lines.push(flagLine(f));
  return lines.join('\n');
}
