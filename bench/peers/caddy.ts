/**
 * @module Caddy 2.6 driven the way caddy-docker-proxy drives it: on each
 * change the whole config is generated as a Caddyfile and loaded through the
 * admin API's POST /load (caddy-docker-proxy adapts the Caddyfile to JSON in
 * its own process and posts the JSON; here Caddy adapts it: the same work in
 * one process). Optionally with caddy-docker-proxy's event throttle: the
 * first change schedules a load `debounceMs` later that carries every change
 * made meanwhile (its --event-throttle-interval, default 100 ms).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../../src/os/process-util.ts';
import { freePort } from '../../test/helpers/ports.ts';
import { hasExited, startChild } from './child.ts';
import type { Engine } from './engine.ts';
import type { Model } from './model.ts';

function caddyfile(adminPort: number, httpPort: number, model: Model): string {
  const sites = [...model]
    .filter(([, r]) => r.servers.size > 0)
    .map(([host, r]) => `http://${host} {\n\treverse_proxy ${[...r.servers.values()].map((p) => `127.0.0.1:${p}`).join(' ')}\n}\n`);
  return [`{\n\tadmin 127.0.0.1:${adminPort}\n\tauto_https off\n\thttp_port ${httpPort}\n}\n`, ...sites].join('');
}

export interface CaddyOptions {
  /** 0: a load per change, acknowledged by /load's reply. Otherwise the throttle interval in ms. */
  debounceMs: number;
}

export async function startCaddy(initial: Model, opts: CaddyOptions): Promise<Engine> {
  const dir = await mkdtemp(join(tmpdir(), 'hop-peers-caddy-'));
  const [adminPort, httpPort] = [await freePort(), await freePort()];
  const file = join(dir, 'Caddyfile');
  await writeFile(file, caddyfile(adminPort, httpPort, initial));
  // Caddy autosaves each loaded config under XDG_CONFIG_HOME (caddy-docker-proxy leaves that on): keep it in our dir.
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') };
  const child = startChild('caddy', ['run', '--adapter', 'caddyfile', '--config', file], join(dir, 'caddy.log'), env);
  const stop = async () => {
    await child.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const adminUp = async () => {
    if (hasExited(child)) return true;
    return await fetch(`http://127.0.0.1:${adminPort}/config/`).then((r) => r.ok, () => false);
  };
  if (!(await pollUntil(adminUp, 30_000, 20)) || hasExited(child)) {
    const out = child.output();
    await stop();
    throw new Error(`caddy did not start: ${out}`);
  }
  const load = async (model: Model) => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/load`, { method: 'POST', headers: { 'content-type': 'text/caddyfile' }, body: caddyfile(adminPort, httpPort, model) });
    if (!res.ok) throw new Error(`caddy /load: ${res.status} ${(await res.text()).slice(0, 300)}`);
  };
  let loads = 0;
  // Throttled driver: at most one load scheduled; it renders the latest model when it runs.
  let latest: Model = initial;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  const schedule = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      chain = chain.then(() => load(latest)).then(() => void loads++, (err) => void (failure ??= err));
    }, opts.debounceMs);
  };
  const debounced = opts.debounceMs > 0;
  return {
    label: debounced ? `Caddy 2.6, POST /load, ${opts.debounceMs} ms throttle (caddy-docker-proxy default)` : 'Caddy 2.6, POST /load per change',
    httpPort,
    async apply(_change, model) {
      if (failure) throw failure;
      if (!debounced) {
        await load(model);
        loads += 1;
        return;
      }
      latest = model; // rendered when the load runs, as caddy-docker-proxy reads Docker's state then
      schedule();
    },
    async settle() {
      while (timer) await new Promise((r) => setTimeout(r, opts.debounceMs));
      await chain;
      if (failure) throw failure;
    },
    reloads: () => loads,
    stop,
  };
}
