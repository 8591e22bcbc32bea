/**
 * @module HAProxy reloaded per change, as reload-based HAProxy label proxies
 * do it: rewrite haproxy.cfg (servers inline) and domains.map atomically,
 * reload through the master socket, and take the change as acknowledged when
 * the new worker answers. Used by bench/churn and bench/peers.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { commands } from '../../src/haproxy/commands.ts';
import { parseShowInfo } from '../../src/haproxy/parsers/show-info.ts';
import { pollUntil } from '../../src/os/process-util.ts';
import { startHaproxy } from '../lib.ts';
import type { Engine } from './engine.ts';
import type { Model } from './model.ts';

/** haproxy.cfg with the model's servers inline (enabled, at their address), as a reload-based tool renders it. */
function renderWithServers(base: string, model: Model): string {
  let cfg = base;
  for (const d of model.values()) {
    for (const [slot, port] of d.servers) {
      const re = new RegExp(`^(\\s+server pool_${d.pool}_${slot}) 127\\.0\\.0\\.1:1 disabled weight 1 .*$`, 'm');
      cfg = cfg.replace(re, `$1 127.0.0.1:${port} weight 1`);
    }
  }
  return cfg;
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/** One command on a fresh connection (never a persistent one: it would keep each old worker alive). */
async function oneShot(target: { host: string; port: number } | { path: string }, command: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const s = connect(target, () => s.end(`${command}\n`));
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d) => (out += d));
    s.on('error', reject);
    s.on('close', () => resolve(out));
  });
}

async function workerPid(runtimePort: number): Promise<number> {
  try {
    return parseShowInfo(await oneShot({ host: '127.0.0.1', port: runtimePort }, commands.showInfo())).pid;
  } catch {
    return 0;
  }
}

/** A fresh HAProxy with `pools` pools serving `initial`, reloaded on every apply(). */
export async function startReloadHaproxy(pools: number, initial: Model, label = 'HAProxy 2.6, rewrite cfg+map, reload per change'): Promise<Engine> {
  const h = await startHaproxy(pools);
  h.runtime.close();
  const cfgFile = join(h.dir, 'haproxy.cfg');
  const masterSocket = join(h.dir, 'run', 'master.sock');
  let reloads = 0;
  const reload = async (model: Model) => {
    await writeAtomic(cfgFile, renderWithServers(base, model));
    await writeAtomic(h.mapFile, [...model].map(([host, d]) => `${host} pool_${d.pool}\n`).join(''));
    const old = await workerPid(h.runtimePort);
    // The master re-executes itself on reload and refuses connections meanwhile.
    const sent = await pollUntil(() => oneShot({ path: masterSocket }, 'reload').then(() => true, () => false), 30000, 20);
    if (!sent) throw new Error('reload: master socket refused connections for 30 s');
    if (!(await pollUntil(async () => ((await workerPid(h.runtimePort)) || old) !== old, 30000, 10))) throw new Error('reload: no new worker within 30 s');
    reloads += 1;
  };
  let base: string;
  try {
    base = await readFile(cfgFile, 'utf8');
    await reload(initial);
  } catch (err) {
    await h.stop();
    throw err;
  }
  return {
    label,
    httpPort: h.httpPort,
    apply: (_change, model) => reload(model),
    settle: async () => undefined,
    reloads: () => reloads,
    stop: () => h.stop(),
  };
}
