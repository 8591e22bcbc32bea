/**
 * @module A real HTTP/3 client for tests: ngtcp2's `gtlsclient` (Debian
 * package ngtcp2-client) over UDP to 127.0.0.1. Gives the status, headers
 * and body of a GET, and the certificate HAProxy served in the QUIC
 * handshake (read from the client's dump of the decrypted handshake: the
 * client does not verify, so this is how a test knows which PEM was served).
 * Debian 12's client (ngtcp2 0.12) always sends the SNI "localhost" when
 * given an IP address (its --sni is ignored); the Host (:authority) is
 * whatever the URL says, so routing is tested by host, certificates by the
 * SNI "localhost".
 */
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLIENT = 'gtlsclient';

/** Why HTTP/3 requests cannot be made here, or undefined. */
export function http3ClientMissing(): string | undefined {
  try {
    execFileSync(CLIENT, ['--help'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${CLIENT} is not installed (apt-get install ngtcp2-client; npm test's install step does it)`;
  }
}

export interface H3Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The leaf certificate served in the QUIC handshake. */
  cert: X509Certificate | undefined;
}

/** Bytes of the decrypted handshake messages, from the "Ordered CRYPTO data in Handshake" hex dumps. */
function handshakeBytes(log: string): Buffer {
  const bytes: number[] = [];
  let inside = false;
  for (const line of log.split('\n')) {
    if (line.startsWith('Ordered CRYPTO data in')) {
      inside = line.includes('Handshake crypto level');
      continue;
    }
    const m = /^[0-9a-f]{8} {2}((?:[0-9a-f]{2} {1,2})+)/.exec(line);
    if (!m) {
      inside = false;
      continue;
    }
    if (inside) for (const hex of m[1]!.trim().split(/\s+/)) bytes.push(parseInt(hex, 16));
  }
  return Buffer.from(bytes);
}

/** The first certificate of the TLS 1.3 Certificate message (type 11) in `hs`. */
function leafCertificate(hs: Buffer): X509Certificate | undefined {
  let at = 0;
  while (at + 4 <= hs.length) {
    const type = hs[at]!;
    const len = hs.readUIntBE(at + 1, 3);
    if (type === 11) {
      const ctxLen = hs[at + 4]!;
      const first = at + 4 + 1 + ctxLen + 3;
      const certLen = hs.readUIntBE(first, 3);
      return new X509Certificate(hs.subarray(first + 3, first + 3 + certLen));
    }
    at += 4 + len;
  }
  return undefined;
}

/** GET https://host:port/path over HTTP/3 to 127.0.0.1:port (SNI "localhost", see above). */
export async function h3Get(port: number, host: string, path = '/'): Promise<H3Reply> {
  const dir = await mkdtemp(join(tmpdir(), 'hop-h3-'));
  try {
    const args = ['--exit-on-all-streams-close', '--timeout=5s', '--handshake-timeout=5s', `--download=${dir}`, '127.0.0.1', String(port), `https://${host}:${port}${path}`];
    const log = await new Promise<string>((resolve, reject) => {
      execFile(CLIENT, args, { timeout: 15_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${CLIENT} ${args.join(' ')} failed: ${error.message}\n${String(stderr).slice(-2000)}`));
        else resolve(String(stdout) + String(stderr));
      });
    });
    const headers: Record<string, string> = {};
    for (const m of log.matchAll(/^http: stream 0x0 \[(:?[^:\]]+): (.*)\]$/gm)) headers[m[1]!] = m[2]!;
    const status = Number(headers[':status']);
    if (!status) throw new Error(`${CLIENT} got no HTTP/3 response from 127.0.0.1:${port} for ${host}${path}`);
    const files = await readdir(dir);
    const body = files[0] ? await readFile(join(dir, files[0]), 'utf8') : '';
    return { status, headers, body, cert: leafCertificate(handshakeBytes(log)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
