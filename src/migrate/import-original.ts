/**
 * @module Imports an install of the original suite (`/opt/haproxy` layout:
 * conf/domains.map, conf/servers.json, conf/mcp-token.env, certs/*.pem, plus
 * certbot's cloudflare.ini) into the operator's files. The thin I/O layer
 * around the pure parsers: reads everything first, builds the state and the
 * report, and only then (unless dryRun) writes servers.json and domains.map
 * atomically into confDir and the PEMs into certDir (0600). Files it replaces
 * are kept as `<name>.pre-import-<time>` next to them.
 */
import { copyFile, mkdir, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { ValidationError } from '../model/errors.ts';
import type { DesiredState } from '../model/state.ts';
import type { Provenance } from '../model/names.ts';
import { parseDomainsMap } from './domains-map.ts';
import { renderDomainsMap } from '../store/state-store.ts';
import { parseOriginalServers } from './servers-json.ts';
import { buildImportedState } from './build-state.ts';
import { hasCloudflareToken, hasMcpToken } from './secrets.ts';
import { inspectPem } from './pem.ts';
import { writeFileAtomic } from '../os/atomic-write.ts';
import { formatImportReport, type ImportReport, type ImportProblem } from './report.ts';

export interface ImportOptions {
  /** Root of the original install (the directory holding conf/ and certs/), e.g. /opt/haproxy. */
  from: string;
  /** Operator's confDir: servers.json and domains.map are written here. */
  confDir: string;
  /** Operator's certDir: PEMs are copied here (0600). */
  certDir: string;
  /**
   * certbot's Cloudflare credentials at a given path; without it the install
   * and ~/.secrets are searched (cloudflareCandidates). Only checked, never
   * copied or printed.
   */
  cloudflareIni?: string;
  /** Home directory for ~/.secrets (default os.homedir()). */
  home?: string;
  /** Report only; write nothing. */
  dryRun?: boolean;
  /** Capacity of the operator's rendered config (defaults 100 pools, 10 slots). */
  pools?: number;
  slots?: number;
  /** Provenance of imported domains and servers (default "import"). */
  source?: Provenance;
}

export interface ImportDeps {
  logger: Logger;
  /** Clock for backup file names. */
  now: () => Date;
}

export interface ImportResult {
  report: ImportReport;
  state: DesiredState;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function samePath(a: string, b: string): Promise<boolean> {
  try {
    return (await realpath(a)) === (await realpath(b));
  } catch {
    return resolve(a) === resolve(b);
  }
}

/** Where certbot's cloudflare.ini may be, most specific first: in the install, then ~/.secrets (the original's place). */
export function cloudflareCandidates(from: string, home: string): string[] {
  return [join(from, 'cloudflare.ini'), join(from, 'conf', 'cloudflare.ini'), join(from, '.secrets', 'cloudflare.ini'), join(from, 'secrets', 'cloudflare.ini'), join(home, '.secrets', 'cloudflare.ini')];
}

/** The first candidate that holds a token; else the first that exists, else the first path, with every path searched. */
async function findCloudflareIni(paths: string[]): Promise<{ path: string; found: boolean; searched: string[] }> {
  let existing: string | undefined;
  for (const path of paths) {
    const text = await readOptional(path);
    if (text === undefined) continue;
    if (hasCloudflareToken(text)) return { path, found: true, searched: paths };
    existing ??= path;
  }
  return { path: existing ?? paths[0]!, found: false, searched: paths };
}

/**
 * Reads the original install at `opts.from`, returns the imported state and
 * a report, and writes the operator's files unless `dryRun`. Throws a
 * ValidationError naming the file when there is no domains.map or
 * servers.json is not JSON; nothing is written then.
 */
export async function importOriginal(opts: ImportOptions, deps: ImportDeps): Promise<ImportResult> {
  const log = deps.logger.child({ module: 'migrate' });
  const from = resolve(opts.from);
  const confFrom = join(from, 'conf');
  const mapPath = join(confFrom, 'domains.map');
  const serversPath = join(confFrom, 'servers.json');
  const tokenPath = join(confFrom, 'mcp-token.env');
  const certsFrom = join(from, 'certs');
  const problems: ImportProblem[] = [];
  const notes: string[] = [];

  const mapText = await readOptional(mapPath);
  if (mapText === undefined) throw new ValidationError('from', opts.from, `no ${mapPath}: not an install of the original (expected conf/domains.map)`);
  const map = parseDomainsMap(mapText);
  problems.push(...map.problems);

  const serversText = await readOptional(serversPath);
  let records: ReturnType<typeof parseOriginalServers>['records'] = [];
  if (serversText === undefined || serversText.trim() === '') {
    notes.push(`no servers in ${serversPath}: domains are imported without servers`);
  } else {
    let json: unknown;
    try {
      json = JSON.parse(serversText);
    } catch (err) {
      throw new ValidationError(serversPath, serversText.slice(0, 60), `not valid JSON (${(err as Error).message}); nothing imported`);
    }
    const parsed = parseOriginalServers(json);
    records = parsed.records;
    problems.push(...parsed.problems);
    notes.push(...parsed.notes);
  }

  const built = buildImportedState(map.entries, records, { pools: opts.pools ?? 100, slots: opts.slots ?? 10, source: opts.source ?? 'import' });
  problems.push(...built.problems);
  notes.push(...built.notes);

  const tokenText = await readOptional(tokenPath);
  const cloudflare = await findCloudflareIni(opts.cloudflareIni ? [resolve(opts.cloudflareIni)] : cloudflareCandidates(from, opts.home ?? homedir()));

  const certificates: ImportReport['certificates'] = [];
  const pems: Array<{ name: string; text: string }> = [];
  let certNames: string[] = [];
  try {
    certNames = (await readdir(certsFrom)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    notes.push(`no ${certsFrom} directory: no certificates imported`);
  }
  for (const name of certNames) {
    const path = join(certsFrom, name);
    if (!(await stat(path)).isFile()) continue;
    if (!name.endsWith('.pem')) {
      notes.push(`certs/${name} is not a .pem file: not imported`);
      continue;
    }
    const text = await readFile(path, 'utf8');
    const { cert, error } = inspectPem(`certs/${name}`, text);
    certificates.push(cert);
    if (error) problems.push({ path: `certs/${name}`, reason: `${error}; not imported` });
    else pems.push({ name, text });
  }

  const targets = {
    servers: join(opts.confDir, 'servers.json'),
    map: join(opts.confDir, 'domains.map'),
    token: join(opts.confDir, 'mcp-token.env'),
  };
  const copyToken = tokenText !== undefined && !(await samePath(tokenPath, targets.token)) && (await readOptional(targets.token)) === undefined;
  const certsInPlace = await samePath(certsFrom, opts.certDir);
  if (certsInPlace && pems.length > 0) notes.push(`certificates stay where they are (${opts.certDir} is the original's certs/)`);
  const wouldWrite = [targets.servers, targets.map, ...(copyToken ? [targets.token] : []), ...(certsInPlace ? [] : pems.map((p) => join(opts.certDir, p.name)))];

  const report: ImportReport = {
    from,
    dryRun: opts.dryRun === true,
    domains: built.domains,
    serverCount: built.serverCount,
    certificates,
    mcpToken: { path: tokenPath, found: tokenText !== undefined && hasMcpToken(tokenText) },
    cloudflare: { path: cloudflare.path, found: cloudflare.found, searched: cloudflare.searched },
    problems,
    notes,
    written: [],
    wouldWrite,
  };
  if (opts.dryRun) return { report, state: built.state };

  const stamp = deps.now().toISOString().replace(/[:.]/g, '-');
  await mkdir(opts.confDir, { recursive: true, mode: 0o755 });
  const replace = async (path: string, data: string, mode: number): Promise<void> => {
    const old = await readOptional(path);
    if (old === data) return;
    if (old !== undefined) {
      const backup = `${path}.pre-import-${stamp}`;
      await copyFile(path, backup);
      notes.push(`kept the previous ${path} as ${backup}`);
    }
    await writeFileAtomic(path, data, { mode });
    report.written.push(path);
  };
  await replace(targets.servers, `${JSON.stringify(built.state, null, 2)}\n`, 0o644);
  await replace(targets.map, renderDomainsMap(built.state), 0o644);
  if (copyToken) {
    await writeFileAtomic(targets.token, tokenText!, { mode: 0o600 });
    report.written.push(targets.token);
  }
  if (!certsInPlace && pems.length > 0) {
    await mkdir(opts.certDir, { recursive: true, mode: 0o700 });
    for (const pem of pems) {
      const target = join(opts.certDir, pem.name);
      const existing = await readOptional(target);
      if (existing === pem.text) continue;
      if (existing !== undefined) {
        // A backup would sit in the cert directory and HAProxy loads every file there, so keep the operator's copy.
        problems.push({ path: `certs/${pem.name}`, reason: `${target} exists with different content; kept it, not overwritten` });
        continue;
      }
      await writeFileAtomic(target, pem.text, { mode: 0o600 });
      report.written.push(target);
    }
  }
  log.info({ domains: report.domains.length, servers: report.serverCount, problems: problems.length, written: report.written }, 'imported the original install');
  return { report, state: built.state };
}

/**
 * The `haproxy-operator import --from DIR [--dry-run]` command: runs the
 * import, prints the report with `print`, and returns the exit status:
 * 0 clean, 2 imported (or would import) with problems listed in the report.
 */
export async function runImportCommand(opts: ImportOptions, deps: ImportDeps & { print: (text: string) => void; onReport?: (report: ImportReport) => Promise<void> }): Promise<number> {
  const { report } = await importOriginal(opts, deps);
  await deps.onReport?.(report);
  deps.print(formatImportReport(report));
  if (!report.dryRun && report.written.length > 0) deps.print(nextSteps(report, opts.confDir));
  return report.problems.length === 0 ? 0 : 2;
}

/** The closing hint: how to start the operator on what was imported. */
function nextSteps(report: ImportReport, confDir: string): string {
  const lines = ['Next: start the operator on this state directory (systemctl start haproxy-operator); it restores servers.json into HAProxy.'];
  if (report.mcpToken.found) {
    lines.push(`MCP: the imported token (${join(confDir, 'mcp-token.env')}) is used by default; clients keep using the token they had.`);
  }
  if (report.cloudflare.found) {
    lines.push(`Certificates: add --cloudflare-credentials ${report.cloudflare.path} --acme-email <you@example.com> to renew through Cloudflare DNS-01.`);
  }
  return `${lines.join('\n')}\n`;
}
