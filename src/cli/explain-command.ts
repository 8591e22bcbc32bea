/**
 * @module `explain HOST`: the content of the MCP tool haproxy_explain_route,
 * fetched from the running operator, printed for a person (or as JSON).
 */
import type { ExplainResult } from '../mcp/explain.ts';
import type { z } from 'zod';
import { API_PATHS, type ExplainQuery } from '../api/protocol.ts';
import type { ParsedCommand } from './args.ts';
import { emit, type CliContext } from './context.ts';

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

/** The human-readable explanation: route, pool, families, servers, certificate, verdict and every reason. */
export function formatExplain(o: ExplainResult): string {
  const lines: string[] = [];
  const field = (name: string, value: string) => lines.push(`${`${name}:`.padEnd(13)}${value}`);
  field('Host', o.host);
  if (!o.routed) field('Route', 'none (no domains.map entry)');
  else {
    field('Route', `${o.mapEntry} (domains.map)`);
    field('Pool', `${o.mapEntry?.split(' ')[1] ?? `pool_${o.pool}`} (source ${o.source ?? 'unknown'})`);
    const f = o.families;
    field('Families', `HTTP -> ${f.http ?? 'none'}, HTTPS -> ${f.https ?? 'none'}, HTTP/3 -> ${f.h3 ?? 'none'}`);
    if (o.servers.length === 0) field('Servers', 'none');
    else {
      lines.push('Servers:');
      const rows = o.servers.map((s) => [
        s.name,
        s.family,
        `${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}`,
        s.override?.state ? `${s.effectiveState} (override)` : s.effectiveState,
        String(s.effectiveWeight),
        s.health ?? (o.healthAvailable ? '-' : 'unknown'),
        s.checkStatus ?? (s.check ? '' : 'no check'),
        s.source,
      ]);
      for (const l of table(['NAME', 'FAMILY', 'ADDRESS', 'STATE', 'WEIGHT', 'HEALTH', 'CHECK', 'SOURCE'], rows)) lines.push(`  ${l}`);
    }
  }
  if (!o.certificatesChecked) field('Certificate', 'not checked (no certificate provider)');
  else if (!o.certificate) field('Certificate', 'none covers this host');
  else {
    const c = o.certificate;
    field('Certificate', `${c.name} (${c.match} match on ${c.dnsNames.join(', ')}; ${c.expired ? 'EXPIRED' : 'expires'} ${c.notAfter}; ${c.path})`);
  }
  for (const rule of o.rules ?? []) field('Rule', rule);
  field('Verdict', o.wouldServe ? `plain HTTP for ${o.host} reaches a server` : `plain HTTP for ${o.host} would FAIL`);
  if (o.problems.length > 0) {
    lines.push('Why:');
    for (const p of o.problems) lines.push(`  - ${p}`);
  }
  return lines.join('\n');
}

/** `explain HOST [-o text|json]`: exit 0 whether or not the host would be served (the answer is the output). */
export async function explainCommand(ctx: CliContext, args: ParsedCommand): Promise<number> {
  const host = args.positionals[0]!;
  const client = await ctx.connect();
  const result = await client.call<ExplainResult>({ method: 'GET', path: API_PATHS.explain, query: { host } satisfies z.input<typeof ExplainQuery> });
  emit(ctx.io.out, args.flags.output === 'json' ? JSON.stringify(result, null, 2) : formatExplain(result));
  return 0;
}
