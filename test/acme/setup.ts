/**
 * @module Shared wiring for ACME tests: a real Pebble + challtestsrv, the fake
 * Cloudflare publishing into challtestsrv, temp state and cert dirs, and a
 * manager built the way main.ts will build it.
 */
import type { TestContext } from 'node:test';
import { Resolver } from 'node:dns/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloudflareClient } from '../../src/dns/cloudflare.ts';
import { SecretToken } from '../../src/dns/credentials.ts';
import { createPropagationChecker } from '../../src/dns/propagation.ts';
import { createCloudflareDns01Solver, createDns01Solver } from '../../src/dns/solver.ts';
import type { DnsSolver } from '../../src/dns/types.ts';
import { resolveIssuer } from '../../src/acme/issuers.ts';
import { createCertManager, type CertManagerDeps } from '../../src/acme/manager.ts';
import { startFakeCloudflare, type FakeCloudflare } from '../helpers/fake-cloudflare.ts';
import { startPebble, type PebbleEnv, type StartPebbleOptions } from '../helpers/pebble.ts';
import { captureLogger } from '../dns/capture-logger.ts';

export const TOKEN = 'cf-Token_0123456789abcdefghijklmnop';

export interface AcmeEnv {
  pebble: PebbleEnv;
  cf: FakeCloudflare;
  dir: string;
  stateDir: string;
  certDir: string;
  logText: () => string;
  /**
   * A manager; `tokenFile` builds the solver the operator builds (token re-read
   * before each order), else the token is fixed (`token`, default TOKEN).
   */
  makeManager(
    over?: Partial<CertManagerDeps> & { token?: string; tokenFile?: string; eab?: { keyId: string; hmacKey: string }; dnsWrap?: (s: DnsSolver) => DnsSolver },
  ): Promise<ReturnType<typeof createCertManager>>;
}

/** Starts everything for one test file; all of it is stopped by t.after. */
export async function startAcmeEnv(t: TestContext, pebbleOpts: StartPebbleOptions = {}): Promise<AcmeEnv> {
  const pebble = await startPebble(pebbleOpts);
  t.after(() => pebble.stop());
  const cf = await startFakeCloudflare({ token: TOKEN, zones: ['a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'f.test'], challtestsrvUrl: pebble.challtestsrvUrl });
  t.after(() => cf.close());
  const dir = await mkdtemp(join(tmpdir(), 'hop-acme-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const stateDir = join(dir, 'state');
  const certDir = join(dir, 'certs');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(certDir, { recursive: true });
  const cap = captureLogger();
  return {
    pebble,
    cf,
    dir,
    stateDir,
    certDir,
    logText: cap.text,
    async makeManager(over = {}) {
      let eab: { keyId: string; hmacKeyFile: string } | undefined;
      if (over.eab) {
        const file = join(dir, `eab-${over.eab.keyId}-${Date.now()}.key`);
        await writeFile(file, over.eab.hmacKey, { mode: 0o600 });
        eab = { keyId: over.eab.keyId, hmacKeyFile: file };
      }
      const issuer = await resolveIssuer({ name: 'pebble', directory: pebble.directoryUrl, email: 'ops@a.test', ...(eab ? { eab } : {}) });
      const provider = createCloudflareClient({
        token: new SecretToken(over.token ?? TOKEN, 'test token'),
        logger: cap.logger,
        apiBaseUrl: cf.url,
        baseDelayMs: 20,
        requestTimeoutMs: 1000,
      });
      const propagation = createPropagationChecker({ logger: cap.logger, resolvers: [pebble.dnsAddress], intervalMs: 20, timeoutMs: 5000, queryTimeoutMs: 500 });
      const solver = over.tokenFile
        ? await createCloudflareDns01Solver({
            logger: cap.logger,
            credentials: { tokenFile: over.tokenFile },
            apiBaseUrl: cf.url,
            resolvers: [pebble.dnsAddress],
            propagationIntervalMs: 20,
            propagationTimeoutMs: 5000,
          })
        : createDns01Solver({ provider, propagation });
      const { token: _t, tokenFile: _f, eab: _e, dnsWrap, ...rest } = over;
      return createCertManager({
        logger: cap.logger,
        stateDir,
        certDir,
        issuer,
        dns: dnsWrap ? dnsWrap(solver) : solver,
        tlsCa: pebble.tlsCaPem,
        acmePollMinMs: 100,
        ...rest,
      });
    },
  };
}

/** The TXT records of `name` as the DNS server at `dns` (Pebble's challenge server) answers them; none on any error. */
export async function txtAt(dns: string, name: string): Promise<string[]> {
  const r = new Resolver({ timeout: 500, tries: 1 });
  r.setServers([dns]);
  return (await r.resolveTxt(name).catch(() => [] as string[][])).map((c) => c.join(''));
}
