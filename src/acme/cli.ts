/**
 * @module The `haproxy-operator cert list|issue|renew` commands as functions
 * over a CertManager: they print a table or JSON and return an exit code
 * (0 ok, 1 failed, 2 bad input). Mounting them on argv is the CLI's job.
 */
import { ValidationError } from '../model/errors.ts';
import type { CertManager, CertStatus, IssueResult } from './manager.ts';

export interface CertCliIo {
  out(line: string): void;
  err(line: string): void;
}

function age(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const text = abs >= 86_400_000 ? `${Math.round(abs / 86_400_000)}d` : abs >= 3_600_000 ? `${Math.round(abs / 3_600_000)}h` : `${Math.round(abs / 60_000)}m`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** The CN (else the O) of an issuer DN: `C=US, O=Let's Encrypt, CN=R11` -> R11. */
function issuerShort(dn: string | undefined): string {
  if (!dn) return '-';
  const part = (k: string) => new RegExp(`(?:^|[,\\n]\\s*)${k}=([^,\\n]+)`).exec(dn)?.[1]?.trim();
  return (part('CN') ?? part('O') ?? dn).slice(0, 40);
}

/** A fixed-width table of certificates: name, domains, source, issuer, expiry, renewal, orders, last error. */
export function formatCertTable(rows: CertStatus[], now: number): string {
  const header = ['NAME', 'DOMAINS', 'SOURCE', 'ISSUER', 'READY', 'EXPIRES', 'RENEW', 'ORDERS/7D', 'LAST ERROR'];
  const body = rows.map((r) => [
    r.name,
    r.domains.join(','),
    r.source ?? '-',
    issuerShort(r.issuer),
    r.ready ? 'yes' : 'no',
    age(r.notAfter, now),
    r.managed === false ? '-' : r.failures > 0 ? `retry ${age(r.nextAttempt, now)}` : age(r.renewAt, now),
    r.managed === false ? '-' : String(r.ordersInWindow),
    (r.lastError ?? '').slice(0, 100),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [header, ...body].map((cols) => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function fail(io: CertCliIo, err: unknown): number {
  io.err(`error: ${(err as Error).message}`);
  return err instanceof ValidationError ? 2 : 1;
}

function printResult(io: CertCliIo, res: IssueResult, json: boolean): void {
  if (json) io.out(JSON.stringify(res, null, 2));
  else {
    const note = res.action === 'unchanged' ? 'still valid, not due; use renew --force to order anyway' : res.hotloaded ? 'served by HAProxy now' : 'written (HAProxy not updated)';
    io.out(`${res.name}: ${res.action} (${res.status.domains.join(', ')}), expires ${res.status.notAfter ?? '-'}: ${note}`);
  }
}

/** `cert list [--json]`. */
export async function certListCommand(manager: Pick<CertManager, 'list'>, opts: { json?: boolean; now?: number }, io: CertCliIo): Promise<number> {
  try {
    const rows = await manager.list();
    io.out(opts.json ? JSON.stringify(rows, null, 2) : rows.length ? formatCertTable(rows, opts.now ?? Date.now()) : 'no certificates served or managed');
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}

/** `cert issue <domain> [--wildcard] [--json]` (`*.example.com` implies --wildcard). */
export async function certIssueCommand(manager: Pick<CertManager, 'issue'>, args: { domain: string; wildcard?: boolean; json?: boolean }, io: CertCliIo): Promise<number> {
  try {
    printResult(io, await manager.issue({ domain: args.domain, ...(args.wildcard ? { wildcard: true } : {}) }), !!args.json);
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}

/** `cert renew <domain> [--force] [--json]`, or `cert renew --all` to run the scheduled check now. */
export async function certRenewCommand(
  manager: Pick<CertManager, 'renew' | 'checkRenewals'>,
  args: { domain?: string; force?: boolean; all?: boolean; json?: boolean },
  io: CertCliIo,
): Promise<number> {
  try {
    if (args.all) {
      const reports = await manager.checkRenewals();
      if (args.json) io.out(JSON.stringify(reports, null, 2));
      else for (const r of reports) io.out(`${r.name}: ${r.action}${r.error ? `: ${r.error}` : ''}`);
      return reports.some((r) => r.action === 'failed') ? 1 : 0;
    }
    if (!args.domain) throw new ValidationError('domain', args.domain, 'give a domain, or --all');
    printResult(io, await manager.renew({ domain: args.domain, ...(args.force ? { force: true } : {}) }), !!args.json);
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}
