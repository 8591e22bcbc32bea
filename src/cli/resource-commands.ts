/**
 * @module `apply -f`, `delete -f` and `get`: manifests are validated here
 * first with the same loader the operator uses, so every problem is printed
 * (and nothing sent) even when the operator is down; then the operator
 * validates again against its directory and applies or refuses as a whole.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { text as readStream } from 'node:stream/consumers';
import { resolveKind } from '../model/resources.ts';
import { formatApplyResult, formatResources, type OutputFormat } from '../resources/format.ts';
import { formatProblem, parseManifests, rejectDuplicates, type ManifestProblem } from '../resources/load.ts';
import type { ApplyResult } from '../resources/controller.ts';
import type { z } from 'zod';
import { API_PATHS, type EditQuery, type ResourcesQuery, type ResourcesResponse } from '../api/protocol.ts';
import { UsageError, type ParsedCommand } from './args.ts';
import { emit, type CliContext } from './context.ts';

const INPUT = '(input)';

async function readManifest(ctx: CliContext, file: string | true | undefined, command: string): Promise<{ text: string; name: string }> {
  if (typeof file !== 'string') throw new UsageError(`${command} needs -f FILE (or -f - for standard input)`);
  if (file === '-') return { text: await readStream(ctx.stdin), name: '(stdin)' };
  try {
    return { text: await readFile(resolve(ctx.cwd, file), 'utf8'), name: file };
  } catch (err) {
    throw new UsageError(`-f ${JSON.stringify(file)}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function printProblems(ctx: CliContext, problems: readonly ManifestProblem[]): void {
  for (const p of problems) ctx.io.err(formatProblem(p));
  ctx.io.err(`error: ${problems.length} problem(s); nothing was changed`);
}

/** The operator names the uploaded text "(input)"; the user knows it by its file name. */
function renameInput(problems: readonly ManifestProblem[], name: string): ManifestProblem[] {
  return problems.map((p) => (p.file === INPUT ? { ...p, file: name } : p));
}

async function edit(ctx: CliContext, args: ParsedCommand, kind: 'apply' | 'delete'): Promise<number> {
  const { text, name } = await readManifest(ctx, args.flags.filename, kind);
  const local = rejectDuplicates(parseManifests(text, name));
  // delete needs only kind and name: a spec that would not validate may still be deleted.
  const problems = kind === 'apply' ? local.problems : local.problems.filter((p) => !/^(spec|status)(\.|$)/.test(p.field));
  if (problems.length > 0) {
    printProblems(ctx, problems);
    return 1;
  }
  if (local.resources.length === 0 && local.problems.length === 0) {
    ctx.io.err(`error: ${name}: no resources in the input; nothing was changed`);
    return 1;
  }
  const client = await ctx.connect();
  const dryRun = args.flags['dry-run'] === true;
  const res = await client.send({ method: 'POST', path: kind === 'apply' ? API_PATHS.apply : API_PATHS.delete, query: { dryRun: dryRun ? 'true' : undefined } satisfies z.input<typeof EditQuery>, body: text });
  const body = res.body as Partial<ApplyResult> & { error?: string };
  if (res.status === 400 && Array.isArray(body.problems)) {
    printProblems(ctx, renameInput(body.problems, name));
    return 1;
  }
  if (res.status < 200 || res.status >= 300) throw client.errorOf(res);
  emit(ctx.io.out, formatApplyResult(res.body as ApplyResult));
  return 0;
}

/** `apply -f FILE [--dry-run]`. */
export function applyCommand(ctx: CliContext, args: ParsedCommand): Promise<number> {
  return edit(ctx, args, 'apply');
}

/** `delete -f FILE [--dry-run]`. */
export function deleteCommand(ctx: CliContext, args: ParsedCommand): Promise<number> {
  return edit(ctx, args, 'delete');
}

/** `get KIND [NAME] [-o FORMAT]`. */
export async function getCommand(ctx: CliContext, args: ParsedCommand): Promise<number> {
  const [word, name] = args.positionals as [string, string | undefined];
  const kind = resolveKind(word);
  if (!kind) throw new UsageError(`unknown resource kind ${JSON.stringify(word)}: expected domains, certificates or issuers`);
  const output = typeof args.flags.output === 'string' ? args.flags.output : 'table';
  const format: OutputFormat = output === 'wide' ? 'table' : (output as OutputFormat);
  const client = await ctx.connect();
  const res = await client.call<ResourcesResponse>({ method: 'GET', path: API_PATHS.resources, query: { kind, name } satisfies z.input<typeof ResourcesQuery> });
  emit(ctx.io.out, formatResources(kind, res.items, format, { now: ctx.now(), single: name !== undefined, wide: output === 'wide' }));
  if (res.problems.length > 0) {
    ctx.io.err(`warning: ${res.problems.length} invalid manifest(s) in the resources directory (the last valid version of each stays applied):`);
    for (const p of res.problems) ctx.io.err(`  ${formatProblem(p)}`);
  }
  return 0;
}
