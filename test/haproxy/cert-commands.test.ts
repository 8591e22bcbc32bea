/**
 * @module The certificate runtime command builders, and a certificate load
 * through the runner and the adapter against a scripted runtime (the
 * real-HAProxy path is in test/acme/haproxy-e2e.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addSslCrtList,
  commitSslCert,
  isCertReplyOk,
  newSslCert,
  parseShowSslCertList,
  setSslCert,
} from '../../src/haproxy/cert-commands.ts';
import { normalizePem, validateCertPath } from '../../src/model/pem.ts';
import { HotloadError } from '../../src/model/errors.ts';
import { emptyState } from '../../src/model/state.ts';
import { createHaproxyAdapter } from '../../src/haproxy/adapter.ts';
import type { RuntimeClient } from '../../src/haproxy/runtime-client.ts';
import { createRunner } from '../../src/reconcile/runner.ts';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBAAAA\nBBBB==\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN PRIVATE KEY-----\nKKKK\n-----END PRIVATE KEY-----';

test('paths: safe absolute paths pass, anything that could inject is refused', () => {
  assert.equal(validateCertPath('/var/lib/op/certs/a.test.pem'), '/var/lib/op/certs/a.test.pem');
  for (const bad of ['certs/a.pem', '/a b.pem', '/a;show info', '/a\nshow info', '/x/../etc/shadow', '/a"b', '']) {
    assert.throws(() => validateCertPath(bad), /certPath=.*: /, bad);
  }
  assert.equal(addSslCrtList('/certs/', '/certs/a.pem'), 'add ssl crt-list /certs /certs/a.pem');
  assert.equal(newSslCert('/certs/a.pem'), 'new ssl cert /certs/a.pem');
  assert.equal(commitSslCert('/certs/a.pem'), 'commit ssl cert /certs/a.pem');
});

test('PEM normalisation removes blank lines and CRLF; the payload ends with one empty line', () => {
  const messy = `\r\n${CERT}\r\n\r\n\n${CERT}\n   \n${KEY}\n\n\n`;
  const clean = normalizePem(messy);
  assert.equal(clean, `${CERT}\n${CERT}\n${KEY}\n`);
  const cmd = setSslCert('/certs/a.pem', messy);
  assert.equal(cmd, `set ssl cert /certs/a.pem <<\n${CERT}\n${CERT}\n${KEY}\n\n`);
  assert.equal(cmd.indexOf('\n\n'), cmd.length - 2, 'the only empty line is the terminator');
});

test('bad PEMs are refused without echoing them', () => {
  assert.throws(() => normalizePem('hello'), /pem="\(PEM text redacted\)": holds no PEM block/);
  assert.throws(() => normalizePem(`${CERT}\nshow info`), /text outside a PEM block/);
  assert.throws(() => normalizePem('-----BEGIN CERTIFICATE-----\nAA;BB\n-----END CERTIFICATE-----'), /characters outside base64/);
  assert.throws(() => normalizePem('-----BEGIN CERTIFICATE-----\nAAAA'), /without END/);
  const huge = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(64).concat('\n').repeat(300)}-----END CERTIFICATE-----`;
  assert.throws(() => setSslCert('/c/a.pem', huge), /payload over 15000 bytes/);
});

test('reply judgement and show ssl cert parsing', () => {
  assert.ok(isCertReplyOk('new', "New empty certificate store '/c/a.pem'!"));
  assert.ok(isCertReplyOk('set', 'Transaction created for certificate /c/a.pem!'));
  assert.ok(isCertReplyOk('set', 'Transaction updated for certificate /c/a.pem!'));
  assert.ok(isCertReplyOk('commit', 'Committing /c/a.pem.\nSuccess!'));
  assert.ok(!isCertReplyOk('commit', 'No ongoing transaction!'));
  assert.ok(!isCertReplyOk('set', 'unable to load the certificate chain'));
  assert.ok(isCertReplyOk('crt-list', "Inserting certificate '/c/a.pem' in crt-list '/c'.\nSuccess!"));
  assert.deepEqual(parseShowSslCertList('# filename\n/c/a.pem\n*/c/b.pem\n'), ['/c/a.pem', '/c/b.pem']);
});

/** A scripted runtime: answers by command prefix, records what was sent and over which path (a payload goes on its own connection). */
function scripted(answers: Record<string, string>) {
  const sent: string[] = [];
  const oneShots: string[] = [];
  const answer = (c: string) => Object.entries(answers).find(([k]) => c.startsWith(k))?.[1] ?? '';
  const runtime = {
    async execute(cmds: readonly string[]) {
      sent.push(...cmds);
      return cmds.map(answer);
    },
    async apply(cmds: readonly string[]) {
      sent.push(...cmds);
      return cmds.map(answer);
    },
    async oneShot(c: string) {
      sent.push(c);
      oneShots.push(c);
      return answer(c);
    },
  } as unknown as RuntimeClient;
  return { sent, oneShots, runtime };
}

/** Loads /c/a.pem through a runner whose adapter talks to `runtime`. */
function load(runtime: RuntimeClient) {
  const haproxy = createHaproxyAdapter({ runtime, files: { mapFile: '/c/domains.map', checksMapFile: '/c/checks.map' } });
  const runner = createRunner({ initial: emptyState(), save: async () => undefined, haproxy });
  return runner.loadCert({ dir: '/c', path: '/c/a.pem', pem: `${CERT}\n${KEY}` });
}

const certCommands = (sent: string[]) => sent.filter((c) => !c.startsWith('show map') && !c.startsWith('show servers')).map((c) => c.split(' <<')[0]);

test('load of a new cert: new, set (on its own connection), commit, add to crt-list', async () => {
  const { sent, oneShots, runtime } = scripted({
    'show ssl cert': '# filename\n/c/other.pem',
    'show ssl crt-list': '# /c\n/c/other.pem',
    'new ssl cert': "New empty certificate store '/c/a.pem'!",
    'set ssl cert': 'Transaction created for certificate /c/a.pem!',
    'commit ssl cert': 'Committing /c/a.pem\nSuccess!',
    'add ssl crt-list': 'Inserting certificate\nSuccess!',
  });
  assert.deepEqual(await load(runtime), { created: true });
  assert.deepEqual(certCommands(sent), ['show ssl cert', 'show ssl crt-list /c', 'new ssl cert /c/a.pem', 'set ssl cert /c/a.pem', 'commit ssl cert /c/a.pem', 'add ssl crt-list /c /c/a.pem']);
  assert.equal(oneShots.length, 1);
  assert.ok(oneShots[0]!.startsWith('set ssl cert /c/a.pem <<\n'));
});

test('load of a known cert: set + commit only', async () => {
  const { sent, runtime } = scripted({
    'show ssl cert': '# filename\n/c/a.pem',
    'show ssl crt-list': '# /c\n/c/a.pem',
    'set ssl cert': 'Transaction updated for certificate /c/a.pem!',
    'commit ssl cert': 'Committing /c/a.pem\nSuccess!',
  });
  assert.deepEqual(await load(runtime), { created: false });
  assert.deepEqual(certCommands(sent), ['show ssl cert', 'show ssl crt-list /c', 'set ssl cert /c/a.pem', 'commit ssl cert /c/a.pem']);
});

test('an error reply aborts the transaction and raises HotloadError without the PEM', async () => {
  const { sent, runtime } = scripted({
    'show ssl cert': '# filename\n/c/a.pem',
    'show ssl crt-list': '# /c\n/c/a.pem',
    'set ssl cert': 'Transaction created for certificate /c/a.pem!',
    'commit ssl cert': 'Committing /c/a.pem\nError: inconsistencies between private key and certificate loaded',
  });
  const err = await load(runtime).catch((e: unknown) => e);
  assert.ok(err instanceof HotloadError);
  assert.match(err.message, /haproxy refused "commit ssl cert \/c\/a\.pem": .*inconsistencies/);
  assert.ok(!err.message.includes('KKKK'));
  assert.equal(sent.at(-1), 'abort ssl cert /c/a.pem');
});
