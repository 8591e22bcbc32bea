/**
 * @module Every certificate the operator serves or manages, in one list:
 * the ACME managers' certificates (settings, tls=auto, CLI/MCP, Certificate
 * resources) and every other PEM of the cert directory (imported from
 * certbot, dropped in by hand, the self-signed fallback). `cert list`,
 * haproxy_list_certs and /metrics all read this list.
 */
import { readdir } from 'node:fs/promises';
import { FALLBACK_NAME } from '../model/pem.ts';
import type { CertStatus } from './manager.ts';
import { certFacts, pemPath, readCertPem } from './pem-output.ts';

export interface InventoryDeps {
  certDir: string;
  /** Managers whose certificates are listed (the settings' one, each Issuer's). */
  managers: () => Array<{ list(): Promise<CertStatus[]> }>;
  now?: () => number;
}

/** One PEM no manager owns, as a row: source `fallback` or `file`, never managed. */
export async function unmanagedRow(certDir: string, file: string, now: number): Promise<CertStatus | undefined> {
  const name = file.replace(/\.pem$/, '');
  const path = pemPath(certDir, name);
  const base = { name, path, failures: 0, hotloadPending: false, ordersInWindow: 0, managed: false, source: file === FALLBACK_NAME ? 'fallback' : 'file' };
  const pem = await readCertPem(path);
  if (pem === undefined) return undefined;
  try {
    const f = certFacts(pem);
    return {
      ...base,
      domains: f.domains,
      wildcard: f.domains.some((d) => d.startsWith('*.')),
      ready: Date.parse(f.notAfter) > now && Date.parse(f.notBefore) <= now,
      notBefore: f.notBefore,
      notAfter: f.notAfter,
      issuer: f.issuer,
      serial: f.serial,
      ...(Date.parse(f.notAfter) <= now ? { lastError: `expired at ${f.notAfter}` } : {}),
    };
  } catch (err) {
    return { ...base, domains: [], wildcard: false, ready: false, lastError: `not a readable certificate: ${(err as Error).message}` };
  }
}

/** The managers' rows, then one row per other PEM of the cert directory, by name. */
export async function listInventory(deps: InventoryDeps): Promise<CertStatus[]> {
  const now = (deps.now ?? Date.now)();
  const managed: CertStatus[] = [];
  for (const m of deps.managers()) managed.push(...(await m.list()));
  const owned = new Set(managed.map((r) => r.path));
  let files: string[] = [];
  try {
    files = (await readdir(deps.certDir)).filter((f) => f.endsWith('.pem')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const others: CertStatus[] = [];
  for (const file of files) {
    let row: CertStatus | undefined;
    try {
      row = await unmanagedRow(deps.certDir, file, now);
    } catch {
      continue; // a file name HAProxy's socket could not take either (validated by pemPath)
    }
    if (row && !owned.has(row.path)) others.push(row);
  }
  return [...managed, ...others].sort((a, b) => a.name.localeCompare(b.name) || (a.source ?? '').localeCompare(b.source ?? ''));
}
