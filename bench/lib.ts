/**
 * @module Shared benchmark helpers: a fresh HAProxy from the operator's own
 * renderer on free loopback ports, stopped by PID; and table printing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { renderConfig, checksMapFile } from '../src/haproxy/config-render.ts';
import { ensureFallbackCert } from '../src/haproxy/fallback-cert.ts';
import { createRuntimeClient, type RuntimeClient } from '../src/haproxy/runtime-client.ts';
import { commands } from '../src/haproxy/commands.ts';
import { pollUntil } from '../src/haproxy/process-util.ts';

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface BenchHaproxy {
  dir: string;
  mapFile: string;
  checksMapFile: string;
  runtimePort: number;
  httpPort: number;
  runtime: RuntimeClient;
  proc: ChildProcess;
  startMs: number;
  stop(): Promise<void>;
}

/** Starts HAProxy with `pools` x 3 families x `slots`, like the managed mode does. */
export async function startHaproxy(pools: number, slots = 10): Promise<BenchHaproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'hop-bench-'));
  const certDir = join(dir, 'certs');
  await mkdir(certDir);
  await mkdir(join(dir, 'run'));
  await ensureFallbackCert(certDir);
  const mapFile = join(dir, 'domains.map');
  await writeFile(mapFile, '');
  await writeFile(checksMapFile(mapFile), '');
  const [runtimePort, httpPort, httpsPort] = [await freePort(), await freePort(), await freePort()];
  const cfg = join(dir, 'haproxy.cfg');
  await writeFile(
    cfg,
    renderConfig({
      mapFile,
      certDir,
      runtimeApi: `127.0.0.1:${runtimePort}`,
      runtimeSocket: join(dir, 'run', 'haproxy.sock'),
      httpBind: `127.0.0.1:${httpPort}`,
      httpsBind: `127.0.0.1:${httpsPort}`,
      pools,
      slots,
      quic: false,
      quicPort: httpsPort,
      checkInterMs: 2000,
      maxconn: 4096,
    }),
  );
  const started = performance.now();
  const proc = spawn('haproxy', ['-W', '-S', `${join(dir, 'run', 'master.sock')},level,admin`, '-f', cfg], { stdio: 'ignore' });
  const runtime = createRuntimeClient({ address: { kind: 'tcp', host: '127.0.0.1', port: runtimePort } });
  const up = await pollUntil(async () => {
    try {
      await runtime.execute([commands.showInfo()]);
      return true;
    } catch {
      return false;
    }
  }, 60000, 5);
  if (!up) throw new Error('haproxy did not start');
  const startMs = performance.now() - started;
  return {
    dir,
    mapFile,
    checksMapFile: checksMapFile(mapFile),
    runtimePort,
    httpPort,
    runtime,
    proc,
    startMs,
    async stop() {
      runtime.close();
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
