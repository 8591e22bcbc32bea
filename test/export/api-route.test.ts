/**
 * @module GET /api/v1/export on a real listener: the same auth rule as the
 * other routes (no token from an untrusted address: 401, nothing read), a
 * bad `workloads` value is a 400 naming it, an operator without the export
 * says 501, and the CLI passes --include-workloads as workloads=true.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createHttpListener } from '../../src/http/listener.ts';
import { createMcpAuth } from '../../src/mcp/auth.ts';
import { mountApi } from '../../src/api/routes.ts';
import { API_PATHS } from '../../src/api/protocol.ts';
import { runCli } from '../../src/cli/run.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { snapshot } from './fixtures.ts';

const logger = pino({ level: 'silent' });
const TOKEN = 'export-route-token-0123456789';

async function serve(t: import('node:test').TestContext, withExport: boolean) {
  const defer = deferCleanup(t);
  const asked: Array<{ workloads: boolean }> = [];
  const listener = createHttpListener({ logger, port: 0 });
  mountApi(listener, {
    auth: createMcpAuth({ token: TOKEN, trustedNetworks: ['100.64.0.0/10'] }),
    logger,
    explain: async () => {
      throw new Error('not used');
    },
    ...(withExport ? { exportSnapshot: async (o: { workloads: boolean }) => (asked.push(o), snapshot()) } : {}),
  });
  const bound = await listener.start();
  defer(() => listener.stop());
  const get = (query: string, token = true) =>
    fetch(`http://127.0.0.1:${bound.port}${API_PATHS.export}${query}`, { headers: token ? { authorization: `Bearer ${TOKEN}` } : {} }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  return { get, asked, port: bound.port };
}

test('GET /api/v1/export: auth, parameter validation, 501 without the export', async (t) => {
  const s = await serve(t, true);
  const denied = await s.get('', false);
  assert.equal(denied.status, 401);
  assert.deepEqual(s.asked, [], 'nothing read without the token');
  const bad = await s.get('?workloads=maybe');
  assert.equal(bad.status, 400);
  assert.deepEqual([bad.body.field, bad.body.value], ['workloads', 'maybe']);
  const ok = await s.get('?workloads=true');
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, snapshot() as unknown as Record<string, unknown>);
  assert.deepEqual(s.asked, [{ workloads: true }]);
  const none = await serve(t, false);
  assert.equal((await none.get('')).status, 501);
});

test('export kubernetes asks for workloads only with --include-workloads, and prints the Gateway', async (t) => {
  const s = await serve(t, true);
  const out: string[] = [];
  const env = { HAPROXY_OPERATOR_MCP_TOKEN: TOKEN };
  assert.equal(await runCli('export', ['kubernetes', '--listen', `127.0.0.1:${s.port}`], { out: (l) => out.push(l), err: () => undefined }, env), 0);
  assert.equal(await runCli('export', ['kubernetes', '--include-workloads', '--listen', `127.0.0.1:${s.port}`], { out: () => undefined, err: () => undefined }, env), 0);
  assert.deepEqual(s.asked, [{ workloads: false }, { workloads: true }]);
  assert.match(out.join('\n'), /^kind: Gateway$/m);
});
