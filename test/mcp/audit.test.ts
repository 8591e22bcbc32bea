/**
 * @module The audit log: mutating tool calls (accepted, rejected, dry runs)
 * become JSON lines with redacted secrets and the caller; read-only calls do not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog, redactSecrets } from '../../src/audit/audit-log.ts';
import { createFakeAdmin, createFakeOps } from './fake-ops.ts';
import { captureLogger, connectInMemory } from './harness.ts';

test('redactSecrets replaces token, secret, password, key and hmac values at any depth', () => {
  const out = redactSecrets({ domain: 'a.com', token: 't1', nested: { apiKey: 'k', eab: { hmacKey: 'h' }, list: [{ password: 'p' }] }, Secret: 's' });
  assert.deepEqual(out, { domain: 'a.com', token: '[redacted]', nested: { apiKey: '[redacted]', eab: { hmacKey: '[redacted]' }, list: [{ password: '[redacted]' }] }, Secret: '[redacted]' });
});

test('mutating calls are audited with caller, outcome and dry_run; the file is 0600', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-audit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const { logger } = captureLogger();
  let clock = Date.parse('2030-01-01T00:00:00Z');
  const audit = createAuditLog({ file, logger, now: () => clock++ });
  const ops = createFakeOps();
  const { client, close } = await connectInMemory({ ops, admin: createFakeAdmin(), logger, audit });
  t.after(close);
  await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'a.example.com', ip: '10.0.0.1', dry_run: true } });
  await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'a.example.com', ip: '10.0.0.1' } });
  await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'bad;x', ip: '10.0.0.1', token: 'sekrit-value' } });
  const leaked = await client.callTool({ name: 'haproxy_remove_domain', arguments: { domain: 'x.example.com', apiKey: 'sekrit-value' } });
  assert.equal(JSON.stringify(leaked).includes('sekrit-value'), false, 'secret echoed in a tool error');
  await client.callTool({ name: 'haproxy_list_domains', arguments: {} });
  const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 4, 'read-only call audited or a mutating one missing');
  assert.deepEqual(lines[0], { time: '2030-01-01T00:00:00.000Z', tool: 'haproxy_add_domain', args: { domain: 'a.example.com', ip: '10.0.0.1', dry_run: true }, caller: 'in-memory', outcome: 'ok', dry_run: true });
  assert.equal(lines[1].outcome, 'ok');
  assert.equal(lines[1].dry_run, false);
  assert.equal(lines[2].outcome, 'error');
  assert.match(lines[2].error, /domain="bad;x"/);
  assert.equal(lines[2].args.token, '[redacted]');
  assert.equal((await readFile(file, 'utf8')).includes('sekrit-value'), false);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
});

test('concurrent records are written as whole lines in call order', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-audit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const audit = createAuditLog({ file, logger: captureLogger().logger });
  await Promise.all(Array.from({ length: 50 }, (_, i) => audit.record({ tool: `t${i}`, args: { i }, caller: 'x', outcome: 'ok', dryRun: false })));
  const tools = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).tool);
  assert.deepEqual(tools, Array.from({ length: 50 }, (_, i) => `t${i}`));
});
