/**
 * @module Certificates and issuers as cert-manager objects: each Issuer
 * resource and the settings' issuer become an ACME Issuer (DNS-01 through
 * Cloudflare, EAB when set) whose secrets are stubs; each certificate the
 * operator knows (Certificate resources, the ACME manager's list, PEMs in
 * the cert directory, in that order of precedence for the same DNS names)
 * becomes a Certificate whose secretName the Gateway's HTTPS listeners
 * refer to. A PEM no issuer can renew becomes a TLS Secret stub.
 */
import { acmeDirectoryUrl } from '../model/resources.ts';
import { compareText, type NameAllocator } from './names.ts';
import { meta, secretStub, type ExportObject, type ExportOptions } from './objects.ts';
import type { ExportSnapshot } from './snapshot.ts';

const CM_VERSION = 'cert-manager.io/v1';
/** The Certificate resource's default (model/resources.ts CertificateSpec.renewBefore). */
const DEFAULT_RENEW_BEFORE = '720h';

export interface TlsSecret {
  secretName: string;
  dnsNames: string[];
  /** The object that makes the Secret: Certificate/NAME, or Secret/NAME for a stub. */
  madeBy: string;
}

export interface CertManagerExport {
  objects: ExportObject[];
  tls: TlsSecret[];
}

interface Allocators {
  issuers: NameAllocator;
  certificates: NameAllocator;
  secrets: NameAllocator;
}

interface IssuerInput {
  key: string;
  wanted: string;
  server: string;
  email: string;
  eab?: { keyId: string; from: string };
  tokenFrom: string;
  origin: string;
  /** A file holding the CA bundle to trust for the ACME server (not a secret, but not read here). */
  caFile?: string;
}

function issuerObject(i: IssuerInput, names: Allocators, opts: ExportOptions): { name: string; objects: ExportObject[] } {
  const name = names.issuers.claim(i.key, i.wanted);
  const tokenSecret = names.secrets.claim(`${i.key}:cloudflare`, `${name}-cloudflare-api-token`);
  const objects: ExportObject[] = [secretStub(tokenSecret, 'api-token', i.tokenFrom, opts)];
  const acme: Record<string, unknown> = {
    server: acmeDirectoryUrl(i.server),
    email: i.email,
    // cert-manager creates this one itself (the ACME account key).
    privateKeySecretRef: { name: names.secrets.claim(`${i.key}:account`, `${name}-account-key`) },
    solvers: [{ dns01: { cloudflare: { apiTokenSecretRef: { name: tokenSecret, key: 'api-token' } } } }],
  };
  if (i.eab) {
    const eabSecret = names.secrets.claim(`${i.key}:eab`, `${name}-eab`);
    objects.push(secretStub(eabSecret, 'secret', i.eab.from, opts));
    acme.externalAccountBinding = { keyID: i.eab.keyId, keySecretRef: { name: eabSecret, key: 'secret' } };
  }
  const issuer: ExportObject = {
    object: { apiVersion: CM_VERSION, kind: 'Issuer', metadata: meta(name, opts), spec: { acme } },
    notes: [`from ${i.origin}; the ACME account key is not exported: cert-manager registers a new account`, ...(i.caFile ? [`the ACME server's CA bundle is in ${i.caFile}: put it (PEM, base64) into spec.acme.caBundle`] : [])],
  };
  return { name, objects: [issuer, ...objects] };
}

function refFrom(ref: { file?: string; env?: string }): string {
  return ref.file !== undefined ? `the file ${ref.file}` : `the environment variable ${ref.env}`;
}

const setKey = (names: string[]) => [...new Set(names)].sort().join(',');

/** Hours between two ISO times, rounded up, as a Go duration; undefined when either is missing. */
function hoursBetween(from: string | undefined, to: string | undefined): string | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms > 0 ? `${Math.ceil(ms / 3_600_000)}h` : undefined;
}

export function buildCertManager(snap: ExportSnapshot, names: Allocators, opts: ExportOptions): CertManagerExport {
  const objects: ExportObject[] = [];
  const tls: TlsSecret[] = [];
  const issuerNames = new Map<string, string>();

  for (const r of [...snap.issuers].sort((a, b) => compareText(a.name, b.name))) {
    const acme = r.spec.acme;
    const eab = acme.externalAccountBinding;
    const built = issuerObject(
      {
        key: `issuer:${r.name}`,
        wanted: r.name,
        server: acme.server,
        email: acme.email,
        ...(eab ? { eab: { keyId: eab.keyID, from: refFrom(eab.hmacKeyRef) } } : {}),
        tokenFrom: refFrom(acme.solver.dns01.cloudflare.apiTokenRef),
        origin: `the Issuer resource ${r.name}`,
        // Without its own bundle an Issuer trusts --acme-ca-file (wiring/issuers.ts).
        ...(acme.caBundleRef || snap.settingsIssuer?.caFile ? { caFile: acme.caBundleRef?.file ?? snap.settingsIssuer!.caFile! } : {}),
      },
      names,
      opts,
    );
    issuerNames.set(r.name, built.name);
    objects.push(...built.objects);
  }
  let settingsIssuer: string | undefined;
  const s = snap.settingsIssuer;
  if (s) {
    const built = issuerObject(
      {
        key: 'issuer:(settings)',
        wanted: 'default',
        server: s.server,
        email: s.email,
        ...(s.eabKeyId ? { eab: { keyId: s.eabKeyId, from: `the setting ${s.eabKeyFrom ?? '--acme-eab-hmac-file'}` } } : {}),
        tokenFrom: `the setting ${s.cloudflareTokenFrom}`,
        origin: 'the operator settings (--acme-email ...)',
        ...(s.caFile ? { caFile: s.caFile } : {}),
      },
      names,
      opts,
    );
    settingsIssuer = built.name;
    objects.push(...built.objects);
  }

  const covered = new Set<string>();
  const certificate = (key: string, wanted: string, dnsNames: string[], issuer: string, renewBefore: string | undefined, certNotes: string[]): void => {
    const name = names.certificates.claim(key, wanted);
    const secretName = names.secrets.claim(`${key}:tls`, `${name}-tls`);
    const spec: Record<string, unknown> = { secretName, dnsNames, issuerRef: { name: issuer, kind: 'Issuer', group: 'cert-manager.io' } };
    if (renewBefore) spec.renewBefore = renewBefore;
    objects.push({ object: { apiVersion: CM_VERSION, kind: 'Certificate', metadata: meta(name, opts), spec }, notes: certNotes });
    tls.push({ secretName, dnsNames, madeBy: `Certificate/${name}` });
    covered.add(setKey(dnsNames));
  };

  for (const c of [...snap.certificates].sort((a, b) => compareText(a.name, b.name))) {
    const ref = c.spec.issuerRef.name;
    const issuer = issuerNames.get(ref);
    const certNotes = issuer ? [] : [`Certificate ${c.name} refers to Issuer ${ref}, which does not exist on this host: create it`];
    certificate(`certificate:${c.name}`, c.name, c.spec.dnsNames, issuer ?? ref, c.spec.renewBefore ?? DEFAULT_RENEW_BEFORE, certNotes);
  }
  const fallbackIssuer = settingsIssuer ?? [...issuerNames.values()][0];
  for (const m of [...snap.managedCerts].sort((a, b) => compareText(a.name, b.name))) {
    const issuer = (m.issuer !== undefined ? issuerNames.get(m.issuer) : undefined) ?? (m.issuer === 'default' ? settingsIssuer : undefined) ?? fallbackIssuer;
    if (covered.has(setKey(m.dnsNames)) || !issuer) continue;
    const renewBefore = hoursBetween(m.renewAt, m.notAfter);
    const certNotes = renewBefore ? [] : [`certificate ${m.name}: no renewal time known; cert-manager's default (renew at 2/3 of the lifetime) matches this operator's rule`];
    certificate(`managed:${m.name}`, m.name, m.dnsNames, issuer, renewBefore, certNotes);
  }
  for (const f of [...snap.certFiles].sort((a, b) => compareText(a.name, b.name))) {
    if (f.dnsNames.length === 0 || covered.has(setKey(f.dnsNames))) continue;
    if (fallbackIssuer) {
      certificate(`file:${f.name}`, f.name, f.dnsNames, fallbackIssuer, undefined, [
        `the PEM ${f.name}.pem was not ordered by this operator's issuers: cert-manager will order it anew from Issuer ${fallbackIssuer}`,
      ]);
      continue;
    }
    const secretName = names.secrets.claim(`file:${f.name}:tls`, `${f.name}-tls`);
    const stub = secretStub(secretName, 'tls.crt,tls.key', `the PEM ${f.name}.pem in the cert directory (chain and key)`, opts, 'kubernetes.io/tls');
    stub.notes.push(`no issuer is configured, so nothing will renew ${secretName} (it expires ${f.notAfter})`);
    objects.push(stub);
    tls.push({ secretName, dnsNames: f.dnsNames, madeBy: `Secret/${secretName}` });
    covered.add(setKey(f.dnsNames));
  }
  return { objects, tls };
}
