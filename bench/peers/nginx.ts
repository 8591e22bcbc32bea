/**
 * @module nginx (Debian's nginx-light) driven the way nginx-proxy drives it:
 * on each change the whole config is regenerated (a 503 default server, an
 * upstream and a server block per host, HTTP/1.1 to the upstreams) and
 * `nginx -s reload` is run, as docker-gen's notify command does; the change
 * is acknowledged when that command returns (nginx then starts new workers
 * and lets the old ones finish on their own).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../../src/os/process-util.ts';
import { get } from '../../test/helpers/http.ts';
import { freePort } from '../../test/helpers/ports.ts';
import { hasExited, startChild } from './child.ts';
import type { Engine } from './engine.ts';
import type { Model } from './model.ts';

function render(dir: string, httpPort: number, model: Model): string {
  const listen = `listen 127.0.0.1:${httpPort}`;
  const hosts = [...model]
    .filter(([, r]) => r.servers.size > 0)
    .map(([host, r]) => {
      const upstream = host.replace(/[^a-z0-9]/g, '_');
      const servers = [...r.servers.values()].map((p) => `    server 127.0.0.1:${p};\n`).join('');
      return `  upstream ${upstream} {\n${servers}  }\n  server {\n    ${listen};\n    server_name ${host};\n    location / { proxy_pass http://${upstream}; }\n  }\n`;
    });
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, 'tmp', t)};\n`).join('');
  return [
    'worker_processes auto;\n',
    `pid ${join(dir, 'nginx.pid')};\n`,
    `error_log ${join(dir, 'error.log')} warn;\n`,
    'events { worker_connections 1024; }\n',
    'http {\n',
    '  access_log off;\n',
    temp,
    '  proxy_http_version 1.1;\n  proxy_set_header Host $http_host;\n  proxy_set_header Connection "";\n',
    `  server {\n    ${listen} default_server;\n    server_name _;\n    return 503;\n  }\n`,
    ...hosts,
    '}\n',
  ].join('');
}

async function run(args: string[]): Promise<void> {
  const proc = spawn('nginx', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  if (code !== 0) throw new Error(`nginx ${args.join(' ')}: exit ${code}: ${err.trim().slice(0, 300)}`);
}

export async function startNginx(initial: Model): Promise<Engine> {
  const dir = await mkdtemp(join(tmpdir(), 'hop-peers-nginx-'));
  await mkdir(join(dir, 'tmp'));
  const httpPort = await freePort();
  const conf = join(dir, 'nginx.conf');
  const base = ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')];
  const write = async (model: Model) => {
    await writeFile(`${conf}.tmp`, render(dir, httpPort, model));
    await rename(`${conf}.tmp`, conf);
  };
  await write(initial);
  const child = startChild('nginx', [...base, '-g', 'daemon off;'], join(dir, 'error.log'));
  const stop = async () => {
    await child.stop('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  };
  const up = async () => hasExited(child) || (await get(httpPort, 'nginx.peers.test').then((r) => r.status === 503, () => false));
  if (!(await pollUntil(up, 30_000, 20)) || hasExited(child)) {
    const out = child.output();
    await stop();
    throw new Error(`nginx did not start: ${out}`);
  }
  let reloads = 0;
  return {
    label: 'nginx 1.22, regenerate config, nginx -s reload per change',
    httpPort,
    async apply(_change, model) {
      await write(model);
      await run([...base, '-s', 'reload']);
      reloads += 1;
    },
    settle: async () => undefined,
    reloads: () => reloads,
    stop,
  };
}
