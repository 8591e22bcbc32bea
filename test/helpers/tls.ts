/** @module The certificate HAProxy serves for an SNI name, as openssl s_client sees it. */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';

/** The leaf served for `sni`, as openssl s_client sees it: serial and issuer. */
export async function servedCert(port: number, sni: string): Promise<{ serial: string; issuer: string; subject: string }> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', sni], { stdio: ['pipe', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('error', reject);
    child.on('close', () => resolve(text));
    child.stdin.end();
  });
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out);
  if (!pem) throw new Error(`openssl s_client got no certificate from 127.0.0.1:${port} for ${sni}`);
  const x = new X509Certificate(pem[0]);
  return { serial: x.serialNumber, issuer: x.issuer, subject: x.subject };
}
