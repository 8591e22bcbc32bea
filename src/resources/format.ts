/**
 * @module Pure formatters for `get domains|certificates|issuers -o
 * yaml|json|table`, in kubectl's shapes: one object for a named get, a List
 * otherwise; the table has NAME, READY, REASON, kind-specific columns, AGE.
 */
import { stringify } from 'yaml';
import { getCondition } from '../model/conditions.ts';
import type { Kind } from '../model/resources.ts';
import type { ApplyResult, ResourceView } from './controller.ts';
import { describeItems } from './apply.ts';
import { formatProblem } from './load.ts';

export type OutputFormat = 'yaml' | 'json' | 'table';


/** kubectl-style age: 45s, 12m, 5h, 3d (whole units, rounded down; never negative). */
export function formatAge(from: Date, now: Date): string {
  const s = Math.max(0, Math.floor((now.getTime() - from.getTime()) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

function extraColumns(kind: Kind): Array<{ header: string; cell: (v: ResourceView) => string }> {
  const spec = (v: ResourceView) => v.spec as Record<string, any>;
  switch (kind) {
    case 'Domain':
      return [
        { header: 'HOSTS', cell: (v) => (spec(v).hosts as string[]).join(',') },
        { header: 'SERVERS', cell: (v) => String((spec(v).servers as unknown[]).length) },
      ];
    case 'Certificate':
      return [
        { header: 'DNSNAMES', cell: (v) => (spec(v).dnsNames as string[]).join(',') },
        { header: 'ISSUER', cell: (v) => String(spec(v).issuerRef.name) },
      ];
    case 'Issuer':
      return [{ header: 'SERVER', cell: (v) => String(spec(v).acme.server) }];
  }
}

/** A fixed-width table like kubectl's; `wide` adds the Ready message. */
export function formatTable(kind: Kind, items: readonly ResourceView[], now: Date, wide = false): string {
  if (items.length === 0) return `No ${kind} resources found.\n`;
  const extra = extraColumns(kind);
  const header = ['NAME', 'READY', 'REASON', ...extra.map((c) => c.header), 'AGE', ...(wide ? ['MESSAGE'] : [])];
  const rows = items.map((v) => {
    const ready = getCondition(v.status.conditions, 'Ready');
    return [
      v.metadata.name,
      ready?.status ?? 'Unknown',
      ready?.reason ?? '',
      ...extra.map((c) => c.cell(v)),
      formatAge(new Date(v.metadata.creationTimestamp), now),
      ...(wide ? [ready?.message ?? ''] : []),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ');
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

function asDocument(items: readonly ResourceView[], single: boolean): unknown {
  if (single && items.length === 1) return items[0];
  return { apiVersion: 'v1', kind: 'List', items };
}

/**
 * Formats resources of one kind. `single` (a get by name) prints the object
 * itself in yaml/json instead of a List.
 */
export function formatResources(
  kind: Kind,
  items: readonly ResourceView[],
  format: OutputFormat,
  opts: { now: Date; single?: boolean; wide?: boolean },
): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(asDocument(items, opts.single ?? false), null, 2)}\n`;
    case 'yaml':
      return stringify(asDocument(items, opts.single ?? false), { lineWidth: 0, aliasDuplicateObjects: false });
    case 'table':
      return formatTable(kind, items, opts.now, opts.wide);
  }
}

/** What `apply -f` / `delete -f` print: every problem (nothing changed), or one line per resource. */
export function formatApplyResult(result: ApplyResult): string {
  if (!result.ok) {
    const lines = result.problems.map(formatProblem);
    return `${lines.join('\n')}\nerror: ${result.problems.length} problem(s); nothing was changed\n`;
  }
  const lines = describeItems(result.items, result.dryRun);
  for (const step of result.plan ?? []) lines.push(`  would: ${step.description}`);
  return `${lines.join('\n')}\n`;
}
