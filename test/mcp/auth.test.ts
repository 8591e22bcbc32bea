/**
 * @module Auth unit tests: the original's mcp-token.env formats, trusted
 * ranges, constant-time token check, Host header (DNS rebinding) rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMcpAuth, hostOfHeader, loadMcpToken, parseTokenFile, parseTrustedNetworks } from '../../src/mcp/auth.ts';

test('parseTokenFile accepts KEY=value files and a bare token', () => {
  const cases: Array<[string, string | undefined]> = [
    ['MCP_TOKEN=abc123\n', 'abc123'],
    ['# token for haproxy-mcp\nHAPROXY_MCP_TOKEN="q u o t e d"\n', 'q u o t e d'],
    ["export TOKEN='single'  \n", 'single'],
    ['MCP_TOKEN=abc # comment\n', 'abc'],
    ['OTHER=1\nMCP_AUTH_TOKEN=xyz\n', 'xyz'],
    ['SOMETHING=only-one\n', 'only-one'],
    ['HAPROXY_OPERATOR_MCP_TOKEN=win\nTOKEN=lose\n', 'win'],
    ['  bare-token-value  \n', 'bare-token-value'],
    ['dGhpcyBpcyBhIHRva2Vu==\n', 'dGhpcyBpcyBhIHRva2Vu=='],
    ['\r\nMCP_TOKEN=crlf\r\n', 'crlf'],
    ['', undefined],
    ['# only a comment\n', undefined],
    ['MCP_TOKEN=\n', undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseTokenFile(text), want, JSON.stringify(text));
});

test('loadMcpToken: file wins over env; an empty file is an error that does not echo content', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-token-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'mcp-token.env');
  await writeFile(file, 'MCP_TOKEN=from-file\n', { mode: 0o600 });
  assert.equal(await loadMcpToken({ file, env: { HAPROXY_OPERATOR_MCP_TOKEN: 'from-env' } }), 'from-file');
  assert.equal(await loadMcpToken({ env: { HAPROXY_OPERATOR_MCP_TOKEN: ' from-env ' } }), 'from-env');
  assert.equal(await loadMcpToken({ env: {} }), undefined);
  await writeFile(file, '# nothing\n');
  await assert.rejects(loadMcpToken({ file }), /mcpTokenFile=.*holds no token/);
});

test('trusted networks: defaults, IPv4 and IPv6, bad CIDRs named', () => {
  const auth = createMcpAuth({});
  for (const a of ['127.0.0.1', '127.9.9.9', '::1', '100.64.0.1', '100.127.255.254']) assert.equal(auth.isTrusted(a), true, a);
  for (const a of ['10.0.0.1', '100.128.0.1', '::2', '192.168.1.1', undefined]) assert.equal(auth.isTrusted(a), false, String(a));
  const custom = createMcpAuth({ trustedNetworks: ['10.1.0.0/16', 'fd00::/8', '192.0.2.7'] });
  assert.equal(custom.isTrusted('10.1.200.3'), true);
  assert.equal(custom.isTrusted('fd12::5'), true);
  assert.equal(custom.isTrusted('192.0.2.7'), true);
  assert.equal(custom.isTrusted('127.0.0.1'), false);
  assert.throws(() => parseTrustedNetworks(['10.0.0.0/33']), /mcpTrustedNetworks="10\.0\.0\.0\/33"/);
  assert.throws(() => parseTrustedNetworks(['nonsense']), /mcpTrustedNetworks="nonsense"/);
});

test('check: trusted address needs no token; others need the right bearer token; 401 carries WWW-Authenticate', () => {
  const auth = createMcpAuth({ token: 's3cret-token', trustedNetworks: ['100.64.0.0/10'] });
  const tcp = (address: string) => ({ address, via: 'tcp' as const });
  assert.deepEqual(auth.check({ host: '127.0.0.1:8000' }, tcp('100.64.1.1')), { ok: true, principal: 'trusted-network' });
  const none = auth.check({ host: '127.0.0.1:8000' }, tcp('127.0.0.1'));
  assert.equal(none.ok, false);
  assert.equal(!none.ok && none.status, 401);
  assert.match(!none.ok ? none.headers['WWW-Authenticate']! : '', /^Bearer /);
  const wrong = auth.check({ host: 'localhost', authorization: 'Bearer s3cret-tokeX' }, tcp('127.0.0.1'));
  assert.equal(wrong.ok, false);
  assert.equal(!wrong.ok && wrong.reason.includes('s3cret'), false);
  assert.deepEqual(auth.check({ host: 'localhost', authorization: 'bearer s3cret-token' }, tcp('127.0.0.1')), { ok: true, principal: 'token' });
  assert.equal(auth.check({ authorization: 'Basic czNjcmV0LXRva2Vu' }, tcp('127.0.0.1')).ok, false);
  const noToken = createMcpAuth({ trustedNetworks: [] });
  assert.equal(noToken.check({ authorization: 'Bearer anything' }, tcp('127.0.0.1')).ok, false, 'no token configured must accept none');
});

test('Host header: IP literals, localhost and configured names pass; other names are refused (DNS rebinding)', () => {
  assert.equal(hostOfHeader('[::1]:8000'), '::1');
  assert.equal(hostOfHeader('Example.com:443'), 'example.com');
  const auth = createMcpAuth({ allowedHosts: ['mcp.example.com'] });
  const lo = { address: '127.0.0.1', via: 'tcp' as const };
  for (const host of ['127.0.0.1:8000', 'localhost:8000', '[::1]:8000', 'mcp.example.com', 'MCP.example.com:443', '100.108.39.107:8000']) {
    assert.equal(auth.check({ host }, lo).ok, true, host);
  }
  const evil = auth.check({ host: 'evil.example.net:8000' }, lo);
  assert.equal(evil.ok, false);
  assert.equal(!evil.ok && evil.status, 403);
});
