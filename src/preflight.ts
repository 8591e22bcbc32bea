/**
 * @module Start-up checks: everything the operator needs is verified before
 * anything starts, and each problem is one clear line (what, where, how to
 * fix). Fatal problems stop the start; the others are warnings.
 */
import { access, constants, mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Settings } from './config/settings.ts';
import { statePaths } from './operator.ts';
import { isProcess } from './os/process-util.ts';
import { settingNames } from './config/options.ts';
import { discoverSocket } from './podman/socket.ts';
import { loadMcpToken, parseTrustedNetworks } from './mcp/auth.ts';
import type { ValidationError } from './model/errors.ts';

const run = promisify(execFile);

export interface Problem {
  fatal: boolean;
  message: string;
}

/** File descriptors HAProxy 2.6 asks for: two per connection, one per checked slot, some for listeners. */
export function haproxyFdNeed(settings: Pick<Settings, 'maxconn' | 'pools' | 'slots'>): number {
  return 2 * settings.maxconn + settings.pools * 3 * settings.slots + 64;
}

/** The hard limit on open files of this process (HAProxy inherits it), from /proc/self/limits. */
export async function fdHardLimit(): Promise<number | undefined> {
  try {
    const text = await readFile('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+\S+\s+(\S+)/m.exec(text);
    if (!m) return undefined;
    return m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return undefined;
  }
}

async function portFree(host: string, port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: host || '0.0.0.0', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function writable(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Live PIDs from the pid file that still run HAProxy on our config: the
 * HAProxy of an operator killed with -9. It holds the ports until the
 * supervisor replaces it, so its ports are not a reason to refuse to start
 * (a live operator on this state directory is refused by the lock instead).
 */
async function staleOwnHaproxy(settings: Settings): Promise<number[]> {
  const { pidFile, configFile } = statePaths(settings);
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const pids = text.split(/\s+/).map(Number).filter((n) => Number.isInteger(n) && n > 1);
  return pids.filter((pid) => isProcess(pid, configFile));
}

async function readable(file: string): Promise<string | undefined> {
  try {
    await access(file, constants.R_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error';
  }
}

/** Files and sockets named by settings that are read after HAProxy starts: checked now, so a bad one never touches it. */
async function inputProblems(settings: Settings): Promise<Problem[]> {
  const problems: Problem[] = [];
  const tokenFile = settings.mcpTokenFile;
  const code = tokenFile ? await readable(tokenFile) : undefined;
  if (code) problems.push({ fatal: true, message: `${settingNames('mcpTokenFile')}=${JSON.stringify(tokenFile)}: cannot read (${code})` });
  else if (tokenFile) await loadMcpToken({ file: tokenFile }).catch((e: ValidationError) => problems.push({ fatal: true, message: `${settingNames('mcpTokenFile')}=${JSON.stringify(tokenFile)}: ${e.reason ?? e.message}` }));
  try {
    parseTrustedNetworks(settings.trustedNetworks);
  } catch (error) {
    const e = error as ValidationError;
    problems.push({ fatal: true, message: `${settingNames('trustedNetworks')}: ${JSON.stringify(e.value)} ${e.reason ?? e.message}` });
  }
  if (settings.resourcesDir) {
    const code = await readable(settings.resourcesDir);
    // A missing directory is created at start (state/resources by default); only one that exists and cannot be read is worth a word.
    if (code && code !== 'ENOENT') problems.push({ fatal: false, message: `${settingNames('resourcesDir')}=${JSON.stringify(settings.resourcesDir)}: cannot read (${code}); /readyz reports it until it can be read` });
  }
  const selector = settings.containers.selector;
  if (selector !== undefined && !(selector.indexOf('=') > 0)) problems.push({ fatal: true, message: `${settingNames('containerSelector')}=${JSON.stringify(selector)}: expected key=value` });
  try {
    discoverSocket({ flag: settings.podmanSocket, env: process.env, stateDir: settings.stateDir });
  } catch (error) {
    problems.push({ fatal: true, message: `${(error as Error).message} (${settingNames('podmanSocket')})` });
  }
  if (!(await portFree(settings.listen.host, settings.listen.port))) {
    problems.push({ fatal: true, message: `${settingNames('listen')}=${JSON.stringify(`${settings.listen.host}:${settings.listen.port}`)}: port in use (another operator? choose another port)` });
  }
  return problems;
}

export async function preflight(settings: Settings): Promise<Problem[]> {
  const problems: Problem[] = [];
  const dirs = [['stateDir', settings.stateDir], ['certDir', settings.certDir], ['confDir', settings.confDir], ['runDir', settings.runDir]] as const;
  for (const [key, dir] of dirs) {
    if (!(await writable(dir))) problems.push({ fatal: true, message: `${settingNames(key)}=${JSON.stringify(dir)}: not writable (check the path and its permissions)` });
  }
  problems.push(...(await inputProblems(settings)));
  if (settings.mode === 'managed') {
    try {
      await run(settings.haproxyBin, ['-v'], { timeout: 10000 });
    } catch {
      problems.push({ fatal: true, message: `${settingNames('haproxyBin')}=${JSON.stringify(settings.haproxyBin)}: cannot be run (apt-get install haproxy, or set another binary)` });
    }
    const ports: Array<[string, string, number]> = [
      [`HTTP frontend ${settingNames('httpPort')}`, settings.bindAddress, settings.httpPort],
      [`HTTPS frontend ${settingNames('httpsPort')}`, settings.bindAddress, settings.httpsPort],
    ];
    if (settings.runtimeApi.kind === 'tcp') ports.push([`Runtime API ${settingNames('runtimeApi')}`, settings.runtimeApi.host, settings.runtimeApi.port]);
    const stale = await staleOwnHaproxy(settings);
    for (const [what, host, port] of ports) {
      if (await portFree(host, port)) continue;
      if (stale.length > 0) problems.push({ fatal: false, message: `${what} port ${port} is held by the HAProxy of an earlier run (pid ${stale.join(', ')}); it will be replaced` });
      else problems.push({ fatal: true, message: `${what} port ${port} is in use on ${host || 'all addresses'} (another HAProxy or operator? choose another port)` });
    }
    const limit = await fdHardLimit();
    const need = haproxyFdNeed(settings);
    if (limit !== undefined && need > limit) {
      problems.push({
        fatal: true,
        message: `HAProxy needs about ${need} file descriptors (2 x maxconn ${settings.maxconn} + ${settings.pools} pools x 3 x ${settings.slots} checked slots) but the limit is ${limit}: lower --maxconn or --pools, or raise LimitNOFILE`,
      });
    }
  }
  return problems;
}
