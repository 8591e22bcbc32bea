/**
 * @module Test harness for a real Pebble ACME server and pebble-challtestsrv on
 * free loopback ports: generates Pebble's listener certificate with openssl,
 * writes its config (optionally EAB-required, optionally short validity),
 * waits until both answer, and stops both by PID.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import './pebble-no-reuse.ts';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);
const EAB_TEMPLATE = '/usr/share/doc/pebble/examples/pebble-config-external-account-bindings.json';

/** Why Pebble tests must skip on this machine, or undefined when they can run. */
export function pebbleSkipReason(): string | undefined {
  for (const bin of ['/usr/bin/pebble', '/usr/bin/pebble-challtestsrv']) {
    if (!existsSync(bin)) return `${bin} not installed (apt-get install pebble)`;
  }
  if (!existsSync('/usr/bin/openssl')) return 'openssl not installed';
  return undefined;
}

export interface PebbleEnv {
  directoryUrl: string;
  /** CA that signed Pebble's own HTTPS listener; give it to the ACME client. */
  tlsCaPem: string;
  /** Pebble's issuing root (from /roots/0); issued chains end at it. */
  rootCaPem: () => Promise<string>;
  /** challtestsrv DNS server as `127.0.0.1:port` (the propagation resolver in tests). */
  dnsAddress: string;
  /** challtestsrv management API base, e.g. http://127.0.0.1:1234. */
  challtestsrvUrl: string;
  /** EAB key id -> HMAC key when started with `eab: true`. */
  eabKeys: Record<string, string>;
  dir: string;
  stop(): Promise<void>;
}


/** GET over HTTPS trusting only `ca`; resolves with status and body. */
export function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function makeListenerCert(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const key = join(dir, 'key.pem');
  const csr = join(dir, 'srv.csr');
  const cert = join(dir, 'cert.pem');
  const ext = join(dir, 'ext.cnf');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=pebble test listener CA']);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=localhost']);
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { ca, cert, key };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    process.kill(child.pid!, 'SIGTERM');
  });
}

export interface StartPebbleOptions {
  /** Require External Account Binding (config from Debian's EAB example). */
  eab?: boolean;
  /** Certificate validity in seconds (Pebble's certificateValidityPeriod). */
  validitySeconds?: number;
  /** PEBBLE_AUTHZREUSE, the percentage of orders offered a valid authorization again (default 0; see pebble-no-reuse.ts). */
  authzReuse?: number;
}

/** Starts challtestsrv and Pebble; the caller must `stop()` (use t.after). */
export async function startPebble(opts: StartPebbleOptions = {}): Promise<PebbleEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'hop-pebble-'));
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  const stop = async () => {
    for (const c of children.reverse()) await stopChild(c);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const tls = await makeListenerCert(dir);
    const [dnsPort, mgmtPort, acmePort, pebbleMgmtPort] = [await freePort(true), await freePort(), await freePort(), await freePort()];
    const base = opts.eab ? JSON.parse(await readFile(EAB_TEMPLATE, 'utf8')) : { pebble: { ocspResponderURL: '', externalAccountBindingRequired: false } };
    const httpPort = await freePort();
    const tlsPort = await freePort();
    base.pebble = {
      ...base.pebble,
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${pebbleMgmtPort}`,
      certificate: tls.cert,
      privateKey: tls.key,
      httpPort,
      tlsPort,
      ...(opts.validitySeconds ? { certificateValidityPeriod: opts.validitySeconds } : {}),
    };
    const cfg = join(dir, 'pebble.json');
    await writeFile(cfg, JSON.stringify(base, null, 2));

    const cts = spawn('pebble-challtestsrv', ['-dns01', `127.0.0.1:${dnsPort}`, '-management', `127.0.0.1:${mgmtPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv6', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(cts);
    cts.stdout!.on('data', (d) => logs.push(String(d)));
    cts.stderr!.on('data', (d) => logs.push(String(d)));
    const peb = spawn('pebble', ['-config', cfg, '-dnsserver', `127.0.0.1:${dnsPort}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // AUTHZREUSE=0: a reused valid authorization would skip DNS-01, and the tests must see it happen every time.
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: String(opts.authzReuse ?? 0) },
    });
    children.push(peb);
    peb.stdout!.on('data', (d) => logs.push(String(d)));
    peb.stderr!.on('data', (d) => logs.push(String(d)));
    const caPem = await readFile(tls.ca, 'utf8');
    const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
    const challtestsrvUrl = `http://127.0.0.1:${mgmtPort}`;
    await waitFor(async () => (await httpsGet(directoryUrl, caPem)).status === 200, { timeoutMs: 10_000, message: `pebble directory ${directoryUrl}` }).catch((e) => {
      throw new Error(`${(e as Error).message}\n${logs.join('')}`);
    });
    await waitFor(async () => (await fetch(`${challtestsrvUrl}/set-default-ipv4`, { method: 'POST', body: '{"ip":"127.0.0.1"}' })).status === 200, {
      timeoutMs: 10_000,
      message: 'challtestsrv management API',
    });
    return {
      directoryUrl,
      tlsCaPem: caPem,
      rootCaPem: async () => {
        const res = await httpsGet(`https://127.0.0.1:${pebbleMgmtPort}/roots/0`, caPem);
        if (res.status !== 200) throw new Error(`pebble /roots/0: HTTP ${res.status}`);
        return res.body;
      },
      dnsAddress: `127.0.0.1:${dnsPort}`,
      challtestsrvUrl,
      eabKeys: opts.eab ? { ...base.pebble.externalAccountMACKeys } : {},
      dir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
