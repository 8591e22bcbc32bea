/**
 * Which HAProxy `render-config` renders for: flags first (validated, naming
 * the flag), then the Runtime API when asked (a real HAProxy is in
 * test/deploy/external-mode.test.ts), else `haproxy -vv` of --haproxy-bin;
 * a binary that cannot run gives a config without QUIC and says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSettings } from '../../src/config/settings.ts';
import { OPTIONS, RENDER_OPTIONS } from '../../src/config/options.ts';
import { describeTarget, targetCapabilities, type RenderTarget } from '../../src/haproxy/target-capabilities.ts';
import { freePort } from '../helpers/ports.ts';
import { haproxyVersions } from '../helpers/haproxy-versions.ts';

const DEFS = [...OPTIONS, ...RENDER_OPTIONS];
const settings = (flags: Record<string, string>): RenderTarget => {
  const s = resolveSettings({ stateDir: '/tmp/hop-unused', ...flags }, {}, '/', DEFS);
  return { haproxyBin: s.haproxyBin, runtimeApi: s.runtimeApi, ...s.render };
};

test('flags name the target; they win over --from-runtime', async () => {
  const target = await targetCapabilities(settings({ haproxyVersion: '3.2.6', haproxyFeatures: '+QUIC', fromRuntime: 'true' }));
  assert.deepEqual(target.caps, { version: '3.2.6', major: 3, minor: 2, quic: true, quicOpensslCompat: false });
  assert.equal(describeTarget(target), 'render-config: for HAProxy 3.2.6, QUIC; learned from --haproxy-version/--haproxy-features');
  const compat = await targetCapabilities(settings({ haproxyVersion: '3.0.11', haproxyFeatures: '+QUIC +QUIC_OPENSSL_COMPAT' }));
  assert.match(describeTarget(compat), /OpenSSL compat layer \(limited-quic\)/);
});

test('features without a version: an error naming --haproxy-features', async () => {
  await assert.rejects(targetCapabilities(settings({ haproxyFeatures: '+QUIC' })), /--haproxy-features="\+QUIC": needs --haproxy-version too/);
});

test('--from-runtime with nobody at --runtime-api: an error naming the address', async () => {
  const port = await freePort();
  await assert.rejects(targetCapabilities(settings({ fromRuntime: 'true', runtimeApi: `127.0.0.1:${port}` })), new RegExp(`127\\.0\\.0\\.1:${port}`));
});

test('a --haproxy-bin that cannot run: no QUIC, and the note says how to name the target', async () => {
  const target = await targetCapabilities(settings({ haproxyBin: '/nonexistent/haproxy' }));
  assert.equal(target.caps.quic, false);
  assert.match(describeTarget(target), /cannot run; no QUIC assumed: pass --haproxy-version and --haproxy-features, or --from-runtime/);
});

for (const version of haproxyVersions()) {
  test(`${version.label}: by default, what its haproxy -vv reports`, { skip: version.missing ?? false }, async () => {
    const target = await targetCapabilities(settings({ haproxyBin: version.bin }));
    assert.deepEqual(target.caps, version.caps);
    assert.equal(target.source, `${version.bin} -vv`);
  });
}
