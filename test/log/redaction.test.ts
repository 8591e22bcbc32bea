/**
 * The root logger's rule: secrets are redacted by key (token, apiToken,
 * authorization, hmacKey, privateKey, pem, password, ...) at the top level
 * and nested up to three levels, including request headers; output is JSON,
 * exactly one event per line, even when a message or value holds line breaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACT_KEYS } from '../../src/log.ts';
import { captureRootLogger } from './capture.ts';

const SECRET = (k: string) => `S3CRET-${k}-9f8e7d6c5b4a`;
const KEYS = ['token', 'apiToken', 'authorization', 'Authorization', 'hmacKey', 'privateKey', 'pem', 'password', 'secret', 'key', 'cookie'];

test('the tested keys are all in the rule', () => {
  for (const k of KEYS) assert.ok(REDACT_KEYS.includes(k), k);
});

test('secrets are redacted at the top level, nested one and two levels, and in headers', (t) => {
  const log = captureRootLogger();
  let cases = 0;
  for (const k of KEYS) {
    log.logger.info({ [k]: SECRET(`top-${k}`) }, 'top');
    log.logger.info({ issuer: { [k]: SECRET(`one-${k}`) } }, 'nested once');
    log.logger.info({ req: { body: { [k]: SECRET(`two-${k}`) } } }, 'nested twice');
    log.logger.child({ module: 'x' }).warn({ cf: { [k]: SECRET(`child-${k}`) } }, 'from a child');
    cases += 4;
  }
  log.logger.info({ headers: { authorization: `Bearer ${SECRET('hdr')}`, cookie: SECRET('cookie-hdr') } }, 'request');
  log.logger.info({ req: { headers: { authorization: `Bearer ${SECRET('req-hdr')}` } } }, 'request nested');
  log.logger.info({ eab: { keyId: 'kid-1', hmacKey: SECRET('eab') }, pem: `-----BEGIN PRIVATE KEY-----\n${SECRET('pemblock')}\n-----END PRIVATE KEY-----` }, 'acme');
  cases += 3;
  const text = log.writes.join('');
  assert.ok(!text.includes('S3CRET-'), `a secret leaked: ${text.split('\n').find((l) => l.includes('S3CRET-'))}`);
  const events = log.events();
  assert.equal(events.length, cases);
  assert.equal(events[0]!.token, '[redacted]');
  assert.deepEqual(events[1]!.issuer, { token: '[redacted]' });
  assert.deepEqual(events.at(-1)!.eab, { keyId: 'kid-1', hmacKey: '[redacted]' }, 'non-secret siblings stay');
  t.diagnostic(`redaction cases: ${cases}`);
});

test('JSON, one event per line, even with line breaks and control characters in message and values', () => {
  const log = captureRootLogger();
  log.logger.info({ labels: { 'haproxy.domain': 'a.test\nInjected: {"level":60}' } }, 'label\nsecond line\r\u2028third');
  log.logger.error({ err: new Error('boom\nmultiline') }, 'failed');
  log.logger.warn('plain');
  assert.equal(log.writes.length, 3);
  for (const w of log.writes) {
    assert.ok(w.endsWith('\n'), 'each event ends with a newline');
    assert.equal(w.slice(0, -1).split('\n').length, 1, `exactly one line: ${w}`);
    const e = JSON.parse(w) as Record<string, unknown>;
    assert.equal(typeof e.level, 'number');
    assert.equal(typeof e.time, 'number');
  }
  assert.equal(JSON.parse(log.writes[0]!).msg, 'label\nsecond line\r\u2028third', 'the message is kept, escaped');
});
