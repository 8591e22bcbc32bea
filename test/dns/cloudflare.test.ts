import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCloudflareClient, CloudflareError, retryAfterMs } from '../../src/dns/cloudflare.ts';
import { SecretToken } from '../../src/dns/credentials.ts';
import { startFakeCloudflare } from '../helpers/fake-cloudflare.ts';
import { captureLogger } from './capture-logger.ts';

const TOKEN = 'cf-Token_0123456789abcdefghijklmnop';

async function setup(t: import('node:test').TestContext, token = TOKEN) {
  const cf = await startFakeCloudflare({ token: TOKEN, zones: ['a.test', 'b.test'] });
  t.after(() => cf.close());
  const cap = captureLogger();
  const sleeps: number[] = [];
  const client = createCloudflareClient({
    token: new SecretToken(token, 'test.ini'),
    logger: cap.logger,
    apiBaseUrl: cf.url,
    sleep: async (ms) => void sleeps.push(ms),
    requestTimeoutMs: 300,
  });
  return { cf, client, cap, sleeps };
}

test('finds the zone by walking up the labels', async (t) => {
  const { client, cf } = await setup(t);
  const zone = await client.findZone('_acme-challenge.x.y.a.test');
  assert.equal(zone.name, 'a.test');
  assert.deepEqual(
    cf.requests.map((r) => r.path),
    ['/zones', '/zones', '/zones'],
  );
  await assert.rejects(client.findZone('_acme-challenge.c.test'), /no cloudflare zone found for _acme-challenge\.c\.test/);
});

test('apex and wildcard values share one name; deleting one keeps the other', async (t) => {
  const { client, cf } = await setup(t);
  const a = await client.createTxt('_acme-challenge.a.test', 'value-apex');
  const b = await client.createTxt('_acme-challenge.a.test', 'value-wild');
  assert.notEqual(a.id, b.id);
  assert.equal(cf.records().length, 2);
  await client.deleteTxt(a);
  assert.deepEqual(cf.records().map((r) => r.content), ['value-wild']);
  await client.deleteTxt(b);
  await client.deleteTxt(b); // already gone: no error
  assert.equal(cf.records().length, 0);
});

test('429 honours Retry-After, 500 and timeouts back off, then the call succeeds', async (t) => {
  const { client, cf, sleeps } = await setup(t);
  cf.inject({ kind: 429, retryAfter: '3' }, { kind: 500 }, { kind: 'timeout' });
  const ref = await client.createTxt('_acme-challenge.a.test', 'v1');
  assert.equal(ref.zoneName, 'a.test');
  assert.deepEqual(sleeps, [3000, 1000, 2000]);
  assert.deepEqual(cf.requests.map((r) => r.status), [429, 500, 0, 200, 200]);
});

test('persistent 5xx fails with the record named after the attempts', async (t) => {
  const { client, cf } = await setup(t);
  await client.findZone('a.test');
  cf.inject(...Array.from({ length: 5 }, () => ({ kind: 500 as const })));
  await assert.rejects(client.createTxt('_acme-challenge.a.test', 'v'), /TXT _acme-challenge\.a\.test in zone a\.test failed after 5 attempts: HTTP 500/);
});

test('a wrong token gives a clear error naming the zone, never the token', async (t) => {
  const wrong = 'wrong-Token_0123456789abcdefghijklm';
  const { client, cap } = await setup(t, wrong);
  const err = await client.createTxt('_acme-challenge.a.test', 'v').catch((e: unknown) => e);
  assert.ok(err instanceof CloudflareError);
  assert.equal(err.status, 403);
  assert.match(err.message, /refused the API token for zone a\.test/);
  assert.match(err.message, /from test\.ini/);
  for (const text of [err.message, String(err.stack), cap.text()]) {
    assert.ok(!text.includes(wrong));
    assert.ok(!text.includes(TOKEN));
  }
});

test('Retry-After parsing: seconds, dates, garbage', () => {
  assert.equal(retryAfterMs('2', 0), 2000);
  assert.equal(retryAfterMs(new Date(5000).toUTCString(), 1000), 4000);
  assert.equal(retryAfterMs('soon', 0), undefined);
  assert.equal(retryAfterMs(null, 0), undefined);
});

test('a POST whose answer is lost is not repeated blindly: the record it made is adopted, no orphan left', async (t) => {
  const { client, cf } = await setup(t);
  await client.findZone('a.test');
  cf.inject({ kind: 'lost-answer', match: (m) => m === 'POST' });
  const ref = await client.createTxt('_acme-challenge.a.test', 'v-lost');
  assert.deepEqual(cf.records().map((r) => [r.id, r.content]), [[ref.id, 'v-lost']], 'one record, and it is the one we hold');
  assert.deepEqual(cf.requests.slice(1).map((r) => `${r.method} ${r.status}`), ['POST 0', 'GET 200']);
  await client.deleteTxt(ref);
  assert.deepEqual(cf.records(), []);

  // The last attempt's answer lost (the four before made nothing): the record it made is still found and held, not left behind.
  cf.inject(...Array.from({ length: 4 }, () => ({ kind: 'timeout' as const, match: (m: string) => m === 'POST' })), { kind: 'lost-answer', match: (m) => m === 'POST' });
  const last = await client.createTxt('_acme-challenge.a.test', 'v-lost-last');
  assert.deepEqual(cf.records().map((r) => [r.id, r.content]), [[last.id, 'v-lost-last']]);
  await client.deleteTxt(last);
  assert.deepEqual(cf.records(), []);
});
