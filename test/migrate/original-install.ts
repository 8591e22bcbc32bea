/**
 * @module Test helper: writes a fixture install of the original suite in its
 * /opt/haproxy layout (conf/domains.map, conf/servers.json,
 * conf/mcp-token.env, certs/*.pem, a certbot cloudflare.ini) into a temp dir.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OriginalInstall {
  /** Temp root holding the install in `opt/` and the cloudflare.ini. */
  root: string;
  /** The install (what `--from` gets). */
  from: string;
  cloudflareIni: string;
}

export const SECRET_TOKEN = 'tok-3f9a1c7e5b2d4a6f8e0c1b3d5f7a9c1e';
export const SECRET_CF = 'cf-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d';

/** A self-signed combined PEM (certificate + key) for `names`. */
export function selfSignedPem(names: string[]): string {
  const san = names.map((n) => `DNS:${n}`).join(',');
  return execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`, '-days', '30', '-keyout', '-', '-out', '-'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
}

/** Writes a fixture install; `servers` is written as JSON unless it is a string. */
export async function writeOriginalInstall(opts: {
  map: string;
  servers?: unknown;
  token?: string | null;
  cloudflare?: string | null;
  certs?: Record<string, string>;
}): Promise<OriginalInstall> {
  const root = await mkdtemp(join(tmpdir(), 'hop-orig-'));
  const from = join(root, 'opt');
  await mkdir(join(from, 'conf'), { recursive: true });
  await mkdir(join(from, 'certs'), { recursive: true });
  await writeFile(join(from, 'conf', 'domains.map'), opts.map);
  if (opts.servers !== undefined) {
    await writeFile(join(from, 'conf', 'servers.json'), typeof opts.servers === 'string' ? opts.servers : JSON.stringify(opts.servers, null, 2));
  }
  if (opts.token !== null) await writeFile(join(from, 'conf', 'mcp-token.env'), `MCP_TOKEN=${opts.token ?? SECRET_TOKEN}\n`, { mode: 0o600 });
  const cloudflareIni = join(root, 'cloudflare.ini');
  if (opts.cloudflare !== null) await writeFile(cloudflareIni, `dns_cloudflare_api_token = ${opts.cloudflare ?? SECRET_CF}\n`, { mode: 0o600 });
  for (const [name, text] of Object.entries(opts.certs ?? {})) await writeFile(join(from, 'certs', name), text, { mode: 0o600 });
  return { root, from, cloudflareIni };
}
