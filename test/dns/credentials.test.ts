import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadCloudflareToken, parseCloudflareIni, CredentialsError } from '../../src/dns/credentials.ts';
import { captureLogger } from './capture-logger.ts';

const TOKEN = 'cf-Token_0123456789abcdefghijklmnop';

test('certbot cloudflare.ini with comments gives the token', () => {
  const ini = `# Cloudflare API token used by Certbot\n; another comment\n\ndns_cloudflare_api_token = ${TOKEN}\n`;
  const secret = parseCloudflareIni(ini, '/etc/letsencrypt/cloudflare.ini');
  assert.equal(secret.reveal(), TOKEN);
});

test('the token never shows through String, JSON, inspect or a logger', () => {
  const secret = parseCloudflareIni(`dns_cloudflare_api_token=${TOKEN}`, 'x.ini');
  const { logger, text } = captureLogger();
  logger.info({ secret, nested: { secret } }, `token ${secret}`);
  for (const out of [String(secret), JSON.stringify({ secret }), inspect(secret), inspect({ a: secret }), text()]) {
    assert.ok(!out.includes(TOKEN), out);
  }
  assert.match(text(), /redacted/);
});

test('legacy email + global key form is refused with a clear message', () => {
  const ini = 'dns_cloudflare_email = me@example.com\ndns_cloudflare_api_key = 0123456789abcdef0123456789abcdef01234\n';
  assert.throws(() => parseCloudflareIni(ini, 'legacy.ini'), (err: Error) => {
    assert.ok(err instanceof CredentialsError);
    assert.match(err.message, /legacy\.ini: the legacy dns_cloudflare_email \+ dns_cloudflare_api_key .* not supported/);
    assert.ok(!err.message.includes('0123456789abcdef0123456789abcdef01234'));
    return true;
  });
});

test('a malformed token is refused without echoing it', () => {
  assert.throws(() => parseCloudflareIni('dns_cloudflare_api_token = short secret!', 'bad.ini'), (err: Error) => {
    assert.match(err.message, /bad\.ini: dns_cloudflare_api_token/);
    assert.ok(!err.message.includes('short secret'));
    return true;
  });
});

test('token file, env var and missing sources', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-cred-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  assert.equal((await loadCloudflareToken({ tokenFile: join(dir, 'token') })).reveal(), TOKEN);
  await writeFile(join(dir, 'cf.ini'), `dns_cloudflare_api_token = ${TOKEN}\n`);
  assert.equal((await loadCloudflareToken({ iniFile: join(dir, 'cf.ini') })).reveal(), TOKEN);
  assert.equal((await loadCloudflareToken({ envVar: 'CF_TOKEN', env: { CF_TOKEN: TOKEN } })).reveal(), TOKEN);
  await assert.rejects(loadCloudflareToken({ envVar: 'CF_TOKEN', env: {} }), /CF_TOKEN is not set/);
  await assert.rejects(loadCloudflareToken({ tokenFile: join(dir, 'nope') }), /"[^"]*nope": cannot read \(ENOENT\)/);
  await assert.rejects(loadCloudflareToken({}), /no Cloudflare credentials configured/);
});

test('any non-empty token without white space is accepted; Cloudflare judges it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-cred-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const token of ['short', 'x', 'tok/with+odd=chars~']) {
    await writeFile(join(dir, 'token'), `${token}\n`, { mode: 0o600 });
    assert.equal((await loadCloudflareToken({ tokenFile: join(dir, 'token') })).reveal(), token);
  }
  await writeFile(join(dir, 'token'), '\n  \n', { mode: 0o600 });
  await assert.rejects(loadCloudflareToken({ tokenFile: join(dir, 'token') }), /empty, or holds white space/);
  const a = parseCloudflareIni(`dns_cloudflare_api_token=${TOKEN}`, 'x.ini');
  const b = parseCloudflareIni(`dns_cloudflare_api_token=${TOKEN}x`, 'x.ini');
  assert.notEqual(a.fingerprint(), b.fingerprint(), 'a changed token has another fingerprint');
  assert.ok(!TOKEN.includes(a.fingerprint()));
});
