/**
 * bench/cert-hotload: time from a PEM written to the certificate directory to
 * that certificate served by SNI, through the operator's hot-load path (write
 * atomically, then a load through the operations layer: a runner pass whose
 * plan is new/set/commit ssl cert and add crt-list) on a real
 * HAProxy in managed mode. Measures new names and replacements of existing
 * ones; checks that the worker PID never changes. The ACME order itself is
 * not timed: it depends on the CA and DNS, not on us.
 * Goal: p95 under 100 ms, zero reloads.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../src/os/atomic-write.ts';
import { combinePem, pemPath } from '../src/acme/pem-output.ts';
import { startTestOperator } from '../test/helpers/haproxy.ts';
import { percentile, table } from './lib.ts';

const run = promisify(execFile);
const COUNT = Number(process.env.BENCH_CERTS ?? 20);

async function selfSigned(name: string): Promise<{ pem: string; serial: string }> {
  const { stdout } = await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '-', '-out', '-',
    '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name},DNS:*.${name}`, '-days', '1',
  ]);
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout)![0];
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(stdout)![0];
  return { pem: combinePem(cert, key), serial: new X509Certificate(cert).serialNumber };
}

function servedSerial(port: number, sni: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: sni, rejectUnauthorized: false }, () => {
      const serial = s.getPeerCertificate().serialNumber ?? '';
      s.destroy();
      resolve(serial.toUpperCase());
    });
    s.on('error', reject);
  });
}

async function main(): Promise<void> {
  const op = await startTestOperator();
  const certDir = op.settings.certDir;
  const pid = await op.workerPid();
  const rows: Array<Array<string | number>> = [];
  const totals: Record<string, number[]> = { new: [], replace: [] };
  try {
    const names = Array.from({ length: COUNT }, (_, i) => `site${i + 1}.bench.test`);
    for (const phase of ['new', 'replace'] as const) {
      const write: number[] = [];
      const load: number[] = [];
      const served: number[] = [];
      for (const name of names) {
        const { pem, serial } = await selfSigned(name);
        const path = pemPath(certDir, name);
        const t0 = performance.now();
        await writeFileAtomic(path, pem, { mode: 0o600 });
        const t1 = performance.now();
        await op.operator.ops.loadCert({ dir: certDir, path, pem });
        const t2 = performance.now();
        let polls = 0;
        while ((await servedSerial(op.httpsPort, `x.${name}`)) !== serial.toUpperCase()) {
          if (++polls > 200) throw new Error(`${name}: not served after ${polls} TLS handshakes`);
        }
        const t3 = performance.now();
        write.push(t1 - t0);
        load.push(t2 - t1);
        served.push(t3 - t0);
      }
      totals[phase] = served;
      const f = (v: number) => v.toFixed(1);
      rows.push([phase, names.length, f(percentile(write, 50)), f(percentile(load, 50)), f(percentile(load, 95)), f(percentile(served, 50)), f(percentile(served, 95)), f(Math.max(...served))]);
    }
    const pidAfter = await op.workerPid();
    console.log(table(['case', 'certs', 'write p50 ms', 'hot-load p50 ms', 'hot-load p95 ms', 'served p50 ms', 'served p95 ms', 'served max ms'], rows));
    if (pidAfter !== pid) throw new Error(`HAProxy worker PID changed ${pid} -> ${pidAfter}: a reload happened`);
    const p95 = Math.max(percentile(totals.new!, 95), percentile(totals.replace!, 95));
    console.log(
      `cert hot-load: PEM written -> served by SNI p50 ${percentile(totals.new!, 50).toFixed(1)} ms new, ${percentile(totals.replace!, 50).toFixed(1)} ms replace, p95 ${p95.toFixed(1)} ms over ${COUNT * 2} certs, PID unchanged (${p95 <= 100 ? 'goal met' : 'goal missed'}: p95 <= 100 ms)`,
    );
  } finally {
    await op.stop();
  }
}

await main();
