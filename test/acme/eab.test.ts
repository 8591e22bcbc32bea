/**
 * External Account Binding against Pebble configured to require it (Debian's
 * EAB example config): the right HMAC key registers and issues, a wrong one
 * fails with a clear error and writes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pebbleSkipReason } from '../helpers/pebble.ts';
import { startAcmeEnv } from './setup.ts';

const skip = pebbleSkipReason();

test('EAB: right key issues, wrong key fails clearly', { skip, concurrency: false }, async (t) => {
  const env = await startAcmeEnv(t, { eab: true });
  const [kid, hmacKey] = Object.entries(env.pebble.eabKeys)[0]!;
  assert.ok(kid && hmacKey, 'the EAB example config has keys');

  await t.test('without EAB the account is refused', async () => {
    const mgr = await env.makeManager({ stateDir: join(env.dir, 'state-none') });
    await assert.rejects(mgr.issue({ domain: 'f.test' }), /issuer pebble .*: order for f\.test failed: .*'externalAccountBinding' field/);
  });

  await t.test('a wrong HMAC key fails with a JWS verification error and writes no PEM', async () => {
    const wrongKey = Buffer.from('0'.repeat(48)).toString('base64url');
    const mgr = await env.makeManager({ stateDir: join(env.dir, 'state-wrong'), eab: { keyId: kid, hmacKey: wrongKey } });
    const err = await mgr.issue({ domain: 'b.test' }).catch((e: unknown) => e);
    assert.ok(err instanceof Error);
    assert.match(err.message, /issuer pebble \(https:\/\/127\.0\.0\.1:\d+\/dir\): order for b\.test failed: .*JWS verification error/);
    assert.ok(!err.message.includes(wrongKey));
    await assert.rejects(access(join(env.certDir, 'b.test.pem')), /ENOENT/);
    assert.deepEqual(env.cf.records(), []);
  });

  await t.test('the right key registers and issues a.test + *.a.test', async () => {
    const mgr = await env.makeManager({ eab: { keyId: kid, hmacKey } });
    const res = await mgr.issue({ domain: 'a.test', wildcard: true });
    assert.equal(res.action, 'issued');
    assert.match(await readFile(join(env.certDir, 'a.test.pem'), 'utf8'), /BEGIN CERTIFICATE/);
    assert.ok(!env.logText().includes(hmacKey), 'the HMAC key is never logged');
  });
});
