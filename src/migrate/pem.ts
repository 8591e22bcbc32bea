/**
 * @module Inspects a combined HAProxy PEM (certificate chain + private key)
 * for the import report: names, expiry, whether a key is present. Never
 * returns or logs key material.
 */
import { X509Certificate } from 'node:crypto';
import type { ImportedCertificate } from './report.ts';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const KEY_BLOCK = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

/** Describes a PEM file; `error` says why HAProxy could not serve it (no certificate, no key, unreadable). */
export function inspectPem(file: string, text: string): { cert: ImportedCertificate; error?: string } {
  const hasKey = KEY_BLOCK.test(text);
  const block = CERT_BLOCK.exec(text);
  if (!block) return { cert: { file, hasKey }, error: 'no certificate block' };
  try {
    const x = new X509Certificate(block[0]);
    const altNames = (x.subjectAltName ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4));
    const subject = /CN=([^\n,]+)/.exec(x.subject)?.[1];
    const cert: ImportedCertificate = { file, hasKey, altNames, validTo: new Date(x.validTo).toISOString(), ...(subject ? { subject } : {}) };
    return hasKey ? { cert } : { cert, error: 'no private key block (HAProxy needs certificate and key in one file)' };
  } catch {
    return { cert: { file, hasKey }, error: 'certificate block does not parse' };
  }
}
