/**
 * @module `export kubernetes`: reads the snapshot from the running operator
 * (GET /api/v1/export, a read: nothing changes), builds the objects with
 * the pure builder in export/, and prints one YAML stream or writes one
 * file per object. Every note (what Kubernetes cannot express) also goes to
 * stderr, so nothing is dropped silently.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { API_PATHS, type ExportQuery, type ExportResponse } from '../api/protocol.ts';
import { allNotes, buildExport } from '../export/build.ts';
import { renderFiles, renderStream } from '../export/render.ts';
import type { ExportOptions } from '../export/objects.ts';
import { UsageError, type ParsedCommand } from './args.ts';
import { emit, type CliContext } from './context.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function nameFlag(args: ParsedCommand, flag: string, pattern: RegExp, what: string): string | undefined {
  const v = args.flags[flag];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !pattern.test(v)) throw new UsageError(`--${flag} ${JSON.stringify(v)}: not a ${what}`);
  return v;
}

/** Export options from the flags; a name Kubernetes would refuse is a usage error naming the flag. */
export function exportOptions(args: ParsedCommand): Partial<ExportOptions> {
  const namespace = nameFlag(args, 'namespace', DNS1123_LABEL, 'namespace name (DNS-1123 label: lowercase letters, digits and -, at most 63)');
  const gateway = nameFlag(args, 'gateway', /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'Gateway name (lowercase letters, digits and -, starting with a letter, at most 63)');
  const gatewayClass = nameFlag(args, 'gateway-class', DNS1123_SUBDOMAIN, 'GatewayClass name (DNS-1123 subdomain)');
  return {
    ...(namespace ? { namespace } : {}),
    ...(gateway ? { gateway } : {}),
    ...(gatewayClass ? { gatewayClass } : {}),
    includeWorkloads: args.flags['include-workloads'] === true,
  };
}

export async function exportKubernetesCommand(ctx: CliContext, args: ParsedCommand): Promise<number> {
  const options = exportOptions(args);
  const dir = args.flags['output-dir'];
  const client = await ctx.connect();
  const snapshot = await client.call<ExportResponse>({ method: 'GET', path: API_PATHS.export, query: { workloads: options.includeWorkloads ? 'true' : undefined } satisfies z.input<typeof ExportQuery> });
  const result = buildExport(snapshot, options);
  if (typeof dir === 'string') {
    const target = resolve(ctx.cwd, dir);
    await mkdir(target, { recursive: true });
    const files = renderFiles(result);
    for (const [name, text] of files) await writeFile(join(target, name), text);
    ctx.io.err(`wrote ${files.size} file(s) to ${target}`);
  } else emit(ctx.io.out, renderStream(result));
  for (const note of allNotes(result)) ctx.io.err(`note: ${note}`);
  return 0;
}
