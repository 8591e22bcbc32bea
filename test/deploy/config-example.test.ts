/**
 * @module deploy/config.example.yaml goes through the operator's own settings
 * loader (unknown keys are errors there) and gives the production layout:
 * external mode, /opt/haproxy/{conf,certs,run,state}, ports 80/443.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ALL_OPTIONS } from '../../src/config/options.ts';
import { resolveSettings } from '../../src/config/settings.ts';

const EXAMPLE = join(new URL('../../', import.meta.url).pathname, 'deploy', 'config.example.yaml');

test('config.example.yaml loads with the operator settings loader and describes the production layout', () => {
  const s = resolveSettings({ config: EXAMPLE }, {}, '/', ALL_OPTIONS);
  assert.equal(s.mode, 'external');
  assert.equal(s.stateDir, '/opt/haproxy/state');
  assert.equal(s.confDir, '/opt/haproxy/conf');
  assert.equal(s.certDir, '/opt/haproxy/certs');
  assert.equal(s.runDir, '/opt/haproxy/run');
  assert.equal(s.httpPort, 80);
  assert.equal(s.httpsPort, 443);
  assert.equal(s.pools, 100);
  assert.equal(s.slots, 10);
  assert.equal(s.mcpTokenFile, '/opt/haproxy/conf/mcp-token.env');
  assert.equal(s.podmanSocket, '/run/podman/podman.sock');
  assert.deepEqual(s.listen, { host: '127.0.0.1', port: 8000 });
});

test('the operator defines every option config.example.yaml uses', () => {
  assert.doesNotThrow(() => resolveSettings({ config: EXAMPLE }, {}, '/', ALL_OPTIONS));
  assert.throws(() => resolveSettings({ config: EXAMPLE }, {}, '/'), /cloudflareCredentials/, 'the example uses a wired option, not only the foundation ones');
});
