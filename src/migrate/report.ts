/**
 * @module The import report: what an import of the original found and did,
 * and its text form for the CLI. Never holds a secret, only whether one was
 * found.
 */

/** Something the importer could not read or had to skip, located by file:line or JSON path. */
export interface ImportProblem {
  /** Where: `domains.map:3`, `servers.json$["a.com"]["2"].port`, `certs/x.pem`. */
  path: string;
  value?: unknown;
  reason: string;
}

export interface ImportedDomain {
  host: string;
  pool: number;
  /** Server names as HAProxy knows them, with their targets: `pool_5_1 10.0.0.1:80`. */
  servers: string[];
}

export interface ImportedCertificate {
  file: string;
  subject?: string;
  altNames?: string[];
  validTo?: string;
  hasKey: boolean;
}

export interface ImportReport {
  from: string;
  dryRun: boolean;
  domains: ImportedDomain[];
  serverCount: number;
  certificates: ImportedCertificate[];
  /** Whether conf/mcp-token.env holds a token (the token itself is never reported). */
  mcpToken: { path: string; found: boolean };
  /** Whether a Cloudflare credentials file holds an API token: the one found (or first looked at) and every path searched. */
  cloudflare: { path: string; found: boolean; searched: string[] };
  /** Entries that could not be read or were skipped, each with where and why. */
  problems: ImportProblem[];
  /** Things done on the user's behalf that are worth knowing (defaults applied, shared pools). */
  notes: string[];
  /** Files written (empty on a dry run); on a dry run, `wouldWrite` lists them. */
  written: string[];
  wouldWrite: string[];
}

/** Formats the report for a terminal: a summary, one line per domain, problem and note. */
export function formatImportReport(report: ImportReport): string {
  const out: string[] = [];
  out.push(`${report.dryRun ? 'Dry run: import' : 'Import'} from ${report.from}`);
  out.push(`domains: ${report.domains.length}, servers: ${report.serverCount}, certificates: ${report.certificates.length}`);
  for (const d of report.domains) {
    out.push(`  ${d.host} -> pool_${d.pool}${d.servers.length === 0 ? ' (no servers)' : ''}`);
    for (const s of d.servers) out.push(`      ${s}`);
  }
  for (const c of report.certificates) {
    const names = c.altNames && c.altNames.length > 0 ? c.altNames.join(',') : (c.subject ?? '?');
    out.push(`  cert ${c.file}: ${names}${c.validTo ? ` (valid to ${c.validTo})` : ''}${c.hasKey ? '' : ' NO PRIVATE KEY'}`);
  }
  out.push(`MCP token (${report.mcpToken.path}): ${report.mcpToken.found ? 'found' : 'not found'}`);
  if (report.cloudflare.found) out.push(`Cloudflare API token (${report.cloudflare.path}): found`);
  else out.push(`Cloudflare API token: not found (looked in ${report.cloudflare.searched.join(', ')}; give the file with --cloudflare-ini)`);
  for (const n of report.notes) out.push(`note: ${n}`);
  if (report.problems.length === 0) out.push('problems: none');
  else {
    out.push(`problems: ${report.problems.length}`);
    for (const p of report.problems) {
      out.push(`  ${p.path}${p.value === undefined ? '' : ` = ${show(p.value)}`}: ${p.reason}`);
    }
  }
  const files = report.dryRun ? report.wouldWrite : report.written;
  out.push(`${report.dryRun ? 'would write' : 'wrote'}: ${files.length === 0 ? 'nothing' : ''}`);
  for (const f of files) out.push(`  ${f}`);
  return `${out.join('\n')}\n`;
}

function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
