/**
 * @module haproxy.cfg renderer: golden files for a small config (3 pools;
 * with and without QUIC, with and without mcpHost), the QUIC rule (no
 * alt-svc and no quic bind unless QUIC is on), slot counts, and a real
 * `haproxy -c` on the 100-pool config. Regenerate the golden files with
 * `UPDATE_GOLDEN=1 node --import tsx --test test/haproxy/config-render.test.ts`
 * and review the diff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checksMapFile, renderConfig, type RenderInput } from '../../src/haproxy/config-render.ts';
import { writeHoldLua } from '../../src/haproxy/hold-lua.ts';
import { holdMapFile } from '../../src/model/hold.ts';
import { RULES_FILE, ruleMapFile } from '../../src/model/rules.ts';
import { ensureFallbackCert } from '../../src/haproxy/fallback-cert.ts';
import { haproxyVersions } from '../helpers/haproxy.ts';

const run = promisify(execFile);
const GOLDEN = new URL('../fixtures/golden/', import.meta.url);

function input(overrides: Partial<RenderInput> = {}): RenderInput {
  return {
    mapFile: '/var/lib/haproxy-operator/domains.map',
    certDir: '/var/lib/haproxy-operator/certs',
    runtimeApi: '127.0.0.1:9999',
    runtimeSocket: '/var/lib/haproxy-operator/run/haproxy.sock',
    httpBind: ':80',
    httpsBind: ':443',
    pools: 3,
    slots: 10,
    quic: false,
    quicPort: 443,
    checkInterMs: 2000,
    maxconn: 4096,
    ...overrides,
  };
}

const VARIANTS: Array<{ desc: string; file: string; input: RenderInput }> = [
  { desc: '3 pools, no QUIC, no MCP host', file: 'pools3.cfg', input: input() },
  { desc: '3 pools with QUIC', file: 'pools3-quic.cfg', input: input({ quic: true }) },
  { desc: '3 pools with QUIC through the OpenSSL compat layer (Debian 13 3.0)', file: 'pools3-limited-quic.cfg', input: input({ quic: true, limitedQuic: true }) },
  { desc: '3 pools with an MCP host', file: 'pools3-mcp.cfg', input: input({ mcpHost: 'mcp.example.com', mcpSocket: '/var/lib/haproxy-operator/run/mcp-proxy.sock' }) },
  {
    desc: '3 pools with QUIC and an MCP host',
    file: 'pools3-quic-mcp.cfg',
    input: input({ quic: true, mcpHost: 'mcp.example.com', mcpSocket: '/var/lib/haproxy-operator/run/mcp-proxy.sock' }),
  },
];

for (const v of VARIANTS) {
  test(`golden: ${v.desc}`, async () => {
    const text = renderConfig(v.input);
    const path = new URL(v.file, GOLDEN);
    if (process.env.UPDATE_GOLDEN === '1') {
      await mkdir(GOLDEN, { recursive: true });
      await writeFile(path, text);
    }
    const golden = await readFile(path, 'utf8');
    assert.equal(text, golden, `${v.file} differs; if intended, regenerate with UPDATE_GOLDEN=1 and review the diff`);
    assert.equal(renderConfig(v.input), text, 'rendering is deterministic');
  });
}

test('QUIC: no alt-svc and no quic bind when off; both when on', () => {
  const off = renderConfig(input({ quic: false }));
  assert.doesNotMatch(off, /alt-svc/);
  assert.doesNotMatch(off, /quic/i);
  assert.doesNotMatch(off, /fc_http_major 3/);
  const on = renderConfig(input({ quic: true, httpsBind: '127.0.0.1:8443', quicPort: 443 }));
  assert.match(on, /^ {4}bind quic4@127\.0\.0\.1:8443 ssl crt \/var\/lib\/haproxy-operator\/certs alpn h3$/m);
  assert.match(on, /^ {4}http-after-response set-header alt-svc "h3=\\":443\\"; ma=86400"$/m);
  assert.doesNotMatch(on, /limited-quic/, 'not without the OpenSSL compat layer');
  assert.match(renderConfig(input({ quic: true, limitedQuic: true })), /^global\n(?: {4}.*\n)* {4}limited-quic\n/m, 'limited-quic in global with the compat layer');
  assert.doesNotMatch(renderConfig(input({ quic: false, limitedQuic: true })), /limited-quic/, 'never without a QUIC bind');
  assert.match(renderConfig(input({ quic: true, httpsBind: '[::1]:8443' })), /^ {4}bind quic6@\[::1\]:8443 /m);
  assert.match(renderConfig(input({ quic: true, httpsBind: ':443' })), /^ {4}bind quic4@:443 /m);
  assert.equal(on.match(/alt-svc/g)?.length, 1, 'alt-svc only on the HTTPS frontend');
  const https = on.slice(on.indexOf('frontend https'), on.indexOf('\nbackend no_route'));
  assert.match(https, /alt-svc/);
  assert.doesNotMatch(on.slice(on.indexOf('frontend http\n'), on.indexOf('frontend https')), /alt-svc|quic/);
});

test('MCP host: routed to the operator socket with PROXY v2 only when set', () => {
  const without = renderConfig(input());
  assert.doesNotMatch(without, /mcp_operator/);
  const withHost = renderConfig(input({ mcpHost: 'mcp.example.com', mcpSocket: '/run/x/mcp.sock' }));
  assert.equal(withHost.match(/use_backend mcp_operator if \{ req\.hdr\(host\),host_only,lower -m str mcp\.example\.com \}/g)?.length, 2, 'on both frontends');
  assert.match(withHost, /^ {4}server operator unix@\/run\/x\/mcp\.sock send-proxy-v2$/m);
});

test('100 pools x 3 families x 10 slots, all disabled placeholders', () => {
  const text = renderConfig(input({ pools: 100 }));
  const backends = [...text.matchAll(/^backend (pool_\S+)$/gm)].map((m) => m[1]);
  assert.equal(backends.length, 300);
  assert.equal(new Set(backends).size, 300);
  const servers = [...text.matchAll(/^ {4}server (pool_\S+) 127\.0\.0\.1:1 disabled /gm)].map((m) => m[1]!);
  assert.equal(servers.length, 3000);
  assert.equal(new Set(servers).size, 3000);
  for (const name of ['pool_1_1', 'pool_1_10', 'pool_100_ssl_10', 'pool_57_h3_3']) assert.ok(servers.includes(name), name);
  assert.equal(servers.filter((s) => /_ssl_/.test(s)).length, 1000);
  assert.equal(servers.filter((s) => /_h3_/.test(s)).length, 1000);
  // TLS to the server for both TLS families (HAProxy 2.6 cannot speak QUIC to servers).
  assert.equal(text.match(/ ssl verify none alpn h2,http\/1\.1 .* check-ssl$/gm)?.length, 2000);
  assert.ok(!servers.includes('pool_101_1') && !servers.includes('pool_1_11'));
});

test('slot and pool counts follow the input', () => {
  const text = renderConfig(input({ pools: 2, slots: 4 }));
  assert.equal(text.match(/^ {4}server pool_/gm)?.length, 2 * 3 * 4);
});

for (const version of haproxyVersions()) test(`${version.label}: haproxy -c accepts the rendered configs for its capabilities`, { skip: version.missing ?? false }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-render-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const certDir = join(dir, 'certs');
  await mkdir(certDir);
  await mkdir(join(dir, 'run'));
  const fallback = await ensureFallbackCert(certDir);
  assert.ok(fallback, 'a fallback PEM was written into the empty cert dir');
  assert.equal(await ensureFallbackCert(certDir), undefined, 'no second fallback once a PEM exists');
  const mapFile = join(dir, 'domains.map');
  await writeFile(mapFile, 'a.test pool_1\n');
  await writeFile(checksMapFile(mapFile), 'pool_1_1 /healthz\n');
  await writeFile(holdMapFile(mapFile), 'a.test 5000\n');
  await writeFile(ruleMapFile(mapFile, RULES_FILE), 'a.test:redirect-https 308\npool_2:strip 1\n');
  await writeFile(ruleMapFile(mapFile, 'allow-nets'), '10.0.0.0/8 10.0.0.0/8\n');
  await writeFile(ruleMapFile(mapFile, 'paths'), 'a.test/api/ pool_2\n');
  await writeHoldLua(mapFile);
  const base = { mapFile, certDir, runtimeSocket: join(dir, 'run', 'haproxy.sock'), runtimeApi: '127.0.0.1:9999', httpBind: '127.0.0.1:8080', httpsBind: '127.0.0.1:8443' };
  const quic = { quic: version.caps.quic, limitedQuic: version.caps.quicOpensslCompat };
  for (const variant of [
    { desc: '100 pools', over: { pools: 100, ...quic } },
    { desc: '3 pools with an MCP host', over: { pools: 3, mcpHost: 'mcp.example.com', mcpSocket: join(dir, 'run', 'mcp.sock'), ...quic } },
  ]) {
    const cfg = join(dir, 'haproxy.cfg');
    await writeFile(cfg, renderConfig(input({ ...base, ...variant.over })));
    const { stdout, stderr } = await run(version.bin, ['-c', '-V', '-f', cfg], { timeout: 60000 }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      assert.fail(`${variant.desc}: haproxy -c failed: ${error.stderr ?? ''}${error.stdout ?? ''}${error.message}`);
    });
    assert.match(stdout + stderr, /Configuration file is valid/, variant.desc);
    assert.doesNotMatch(stdout + stderr, /\[(ALERT|WARNING)\]/, `${variant.desc}: ${stdout}${stderr}`);
  }
});

test('timeout connect follows --connect-timeout (default 100 ms) and the retries keep spanning the default 5 s hold', () => {
  const at = (connectTimeoutMs?: number) => {
    const text = renderConfig(input(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }));
    return [/^ {4}timeout connect (\S+)$/m.exec(text)?.[1], /^ {4}retries (\d+)$/m.exec(text)?.[1]];
  };
  assert.deepEqual(at(), ['100ms', '50']);
  assert.deepEqual(at(400), ['400ms', '13'], 'a retry pause of 400 ms: 13 retries for 5 s');
  assert.deepEqual(at(3000), ['3000ms', '5'], 'the pause is at most 1 s');
});
