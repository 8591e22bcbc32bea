/** Start-up checks: each problem is one line naming the setting to change. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fdHardLimit, haproxyFdNeed, preflight } from '../src/preflight.ts';
import { resolveSettings } from '../src/config/settings.ts';
import { freePort } from './helpers/ports.ts';
import { deferCleanup } from './helpers/cleanup.ts';

test('a busy port and an unwritable directory are each one fatal line naming the setting', async (t) => {
  const defer = deferCleanup(t);
  const dir = await mkdtemp(join(tmpdir(), 'hop-preflight-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  defer(() => new Promise((r) => busy.close(r)));
  const busyPort = (busy.address() as { port: number }).port;
  const blocker = join(dir, 'not-a-dir');
  await writeFile(blocker, 'x');
  const settings = resolveSettings(
    { stateDir: join(dir, 'state'), certDir: join(blocker, 'certs'), mcpTokenFile: join(dir, 'missing-token'), listen: `127.0.0.1:${await freePort()}`, bindAddress: '127.0.0.1', httpPort: String(busyPort), httpsPort: String(await freePort()), runtimeApi: `127.0.0.1:${await freePort()}` },
    {},
  );
  const problems = await preflight(settings);
  const lines = problems.map((p) => p.message);
  assert.ok(lines.some((l) => l.includes('--http-port') && l.includes(String(busyPort))), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('--cert-dir (env HAPROXY_OPERATOR_CERT_DIR, config key certDir)=') && l.includes(blocker)), lines.join('\n'));
  const token = lines.find((l) => l.includes('missing-token'));
  assert.match(token ?? '', /^--mcp-token-file \(env HAPROXY_OPERATOR_MCP_TOKEN_FILE, config key mcpTokenFile\)=".*missing-token": cannot read \(ENOENT\)$/, lines.join('\n'));
  assert.ok(problems.every((p) => p.fatal));
  assert.equal(lines.filter((l) => l.includes('--https-port')).length, 0, 'a free port is no problem');
});

test('too many pools for the file-descriptor limit is reported before HAProxy fails', async (t) => {
  const limit = await fdHardLimit();
  if (limit === undefined || limit === Infinity) return t.skip('no finite open-files limit to exceed here');
  const dir = await mkdtemp(join(tmpdir(), 'hop-preflight-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pools = Math.min(5000, Math.ceil(limit / 30) + 1);
  const settings = resolveSettings({ stateDir: dir, pools: String(pools), httpPort: String(await freePort()), httpsPort: String(await freePort()), runtimeApi: `127.0.0.1:${await freePort()}`, bindAddress: '127.0.0.1' }, {});
  assert.ok(haproxyFdNeed(settings) > limit);
  const fd = (await preflight(settings)).find((p) => p.message.includes('file descriptors'));
  assert.ok(fd?.fatal, 'reported as fatal');
  assert.match(fd.message, new RegExp(`${pools} pools .* limit is ${limit}: lower --maxconn or --pools`));
});

test('an MCP token file without a token and a bad trusted network are found before anything starts, naming the setting', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-preflight-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const empty = join(dir, 'mcp-token.env');
  await writeFile(empty, '# no token here\n');
  const settings = resolveSettings({ stateDir: join(dir, 'state'), mcpTokenFile: empty, trustedNetworks: '127.0.0.0/8,10.0.0.0/33', listen: `127.0.0.1:${await freePort()}`, mode: 'external' }, {});
  const lines = (await preflight(settings)).filter((p) => p.fatal).map((p) => p.message);
  assert.ok(lines.some((l) => l.startsWith('--mcp-token-file (env HAPROXY_OPERATOR_MCP_TOKEN_FILE, config key mcpTokenFile)=') && l.includes(empty) && l.includes('holds no token')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('--trusted-networks (env HAPROXY_OPERATOR_TRUSTED_NETWORKS, config key trustedNetworks)') && l.includes('10.0.0.0/33')), lines.join('\n'));
});
