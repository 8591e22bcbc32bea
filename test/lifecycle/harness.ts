/**
 * @module Real operator processes (`node src/main.ts run`) on a temp state
 * directory and free ports, each in its own process group as a terminal
 * would run it; every process is counted by the state directory in its
 * command line, and cleanup SIGKILLs exactly those.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';

export interface OperatorRun {
  stateDir: string;
  http: number;
  runtime: number;
  listen: number;
  /** Flags of every start, by flag name without dashes. */
  args(extra?: Record<string, string>): string[];
  /** Spawns the operator in its own process group (`node --import tsx`, or `npm start` as a new user runs it). */
  start(extra?: Record<string, string>, via?: 'node' | 'npm'): OperatorProcess;
  /** PIDs whose command line mentions the state directory (operator, HAProxy, Podman API service). */
  processes(): Promise<Array<{ pid: number; cmdline: string }>>;
  podmanServices(): Promise<number[]>;
  haproxyPids(): Promise<number[]>;
  /** SIGKILLs every process of this state directory and removes it. */
  cleanup(): Promise<void>;
}

export interface OperatorProcess {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once /readyz answers 200; rejects if the process exits first. */
  ready(timeoutMs?: number): Promise<void>;
}

/** Environment of an operator that starts its own Podman API service (no socket configured). */
export function podmanServiceEnv(containersConf: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: containersConf };
  for (const name of ['CONTAINER_HOST', 'DOCKER_HOST', 'XDG_RUNTIME_DIR']) delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith('HAPROXY_OPERATOR_')) delete env[name];
  return env;
}

export async function createOperatorRun(base: { flags?: Record<string, string>; env?: NodeJS.ProcessEnv } = {}): Promise<OperatorRun> {
  const stateDir = await mkdtemp(join(tmpdir(), 'hop-life-'));
  const [http, https, runtime, listen] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const args = (extra: Record<string, string> = {}) => {
    const flags: Record<string, string> = {
      'state-dir': stateDir, 'bind-address': '127.0.0.1', 'http-port': String(http), 'https-port': String(https),
      'runtime-api': `127.0.0.1:${runtime}`, listen: `127.0.0.1:${listen}`, pools: '40', slots: '2', 'check-interval': '500',
      'resync-interval': '1000', 'log-level': 'info', ...base.flags, ...extra,
    };
    return ['--import', 'tsx', 'src/main.ts', 'run', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v])];
  };
  const processes = async () => {
    const out: Array<{ pid: number; cmdline: string }> = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').then((t) => t.replace(/\0/g, ' '), () => '');
      if (cmdline.includes(stateDir)) out.push({ pid: Number(entry), cmdline });
    }
    return out;
  };
  const run: OperatorRun = {
    stateDir, http, runtime, listen, args,
    start(extra, via = 'node') {
      const argv = args(extra);
      const [command, commandArgs] = via === 'npm' ? ['npm', ['start', '--', ...argv.slice(3)]] : [process.execPath, argv];
      const child = spawn(command, commandArgs, { cwd: process.cwd(), stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: base.env ?? process.env });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-20_000)));
      const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
      return {
        child,
        stderr: () => stderr,
        exited,
        async ready(timeoutMs = 30_000) {
          await waitFor(async () => {
            if (child.exitCode !== null || child.signalCode !== null) throw new Error(`operator exited ${child.exitCode ?? child.signalCode}: ${stderr.slice(-3000)}`);
            return (await fetch(`http://127.0.0.1:${listen}/readyz`).catch(() => undefined))?.status === 200;
          }, { timeoutMs, message: 'operator ready' });
        },
      };
    },
    processes,
    podmanServices: async () => (await processes()).filter((p) => p.cmdline.includes('system service')).map((p) => p.pid),
    haproxyPids: async () => (await processes()).filter((p) => p.cmdline.includes(join(stateDir, 'haproxy.cfg'))).map((p) => p.pid),
    async cleanup() {
      for (const { pid } of await processes()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await waitFor(async () => (await processes()).length === 0, { timeoutMs: 10_000, message: 'every process of the state directory gone' }).catch(() => undefined);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  return run;
}

/** One Runtime API command on a fresh TCP connection; rejects when HAProxy does not answer. */
export function runtimeCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let out = '';
    const timer = setTimeout(() => socket.destroy(new Error('no reply')), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (d) => (out += d));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** SIGKILL of one process we started; resolves when it is gone. */
export async function kill9(proc: OperatorProcess): Promise<void> {
  process.kill(proc.child.pid!, 'SIGKILL');
  await proc.exited;
}
