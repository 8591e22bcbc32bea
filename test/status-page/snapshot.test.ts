/**
 * @module The status snapshot and its live feed without a browser: sources
 * named in words (container name, resource, manual), overrides, 503 hosts
 * with explain's reasons, label problems, renewal states, the audit tail
 * (newest first, a torn line skipped), a part that is down reported instead
 * of thrown; the hub pushes a snapshot only when something but the clock
 * changed. Operations and HAProxy are the MCP tests' in-memory fakes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { ServerResponse } from 'node:http';
import pino from 'pino';
import type { CertStatus } from '../../src/acme/manager.ts';
import type { ContainerReport, WatcherStats } from '../../src/podman/report.ts';
import { buildSnapshot, readAuditTail, renewalState, type StatusSnapshot } from '../../src/status-page/snapshot.ts';
import { createStatusHub } from '../../src/status-page/hub.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { waitFor } from '../helpers/wait.ts';
import { createFakeAdmin, createFakeOps } from '../mcp/fake-ops.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

function cert(over: Partial<CertStatus>): CertStatus {
  return { name: 'x.test', domains: ['x.test'], wildcard: false, path: '/c/x.pem', ready: true, failures: 0, hotloadPending: false, ordersInWindow: 0, ...over };
}

function report(over: Partial<ContainerReport>): ContainerReport {
  return { id: 'c'.repeat(64), name: 'web-1', status: 'running', running: true, labels: {}, decision: 'route', errors: [], problems: [], state: 'ready', reason: 'routed', servers: [], assigned: [], rejected: [], ...over } as ContainerReport;
}

test('snapshot: hosts with servers in words, 503 reasons, containers, certificates, audit tail; a down part is reported', async (t) => {
  const defer = deferCleanup(t);
  const dir = await mkdtemp(join(tmpdir(), 'hop-status-snapshot-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const ops = createFakeOps();
  const id = 'a'.repeat(64);
  await ops.addDomain({ domain: 'app.test', ip: '10.0.0.1', port: 8080, source: `container:${id}` });
  await ops.addDomain({ domain: 'res.test', ip: '10.0.0.2', port: 8080, source: 'manifest:Domain/res' });
  await ops.setServerState({ domain: 'res.test', slot: 1, state: 'maint', by: 'alice' });
  const auditFile = join(dir, 'audit.log');
  const line = (tool: string, extra = {}) => JSON.stringify({ time: '2026-06-01T00:00:00.000Z', tool, args: { domain: 'app.test' }, caller: '127.0.0.1', outcome: 'ok', dry_run: false, ...extra });
  await writeFile(auditFile, `${line('haproxy_add_domain')}\n{"torn":\n${line('haproxy_set_server_state', { outcome: 'error', error: 'no such slot' })}\n`);
  const stats: WatcherStats = { connected: true, watched: 2, pending: 0, ready: 1, invalid: 1, disabled: 0, draining: 0, rejected: 0, reconnects: 0, events: 3, early: 0, syncs: 1, syncErrors: 0, lastSyncAt: NOW - 1000, eventsLog: '/run/libpod/events/events.log' };
  const containers = [
    report({ id, name: 'web-1', config: { domains: ['app.test'] } as never, assigned: [{ domain: 'app.test', backend: 'pool_1', name: 'pool_1_1', family: 'http', slot: 1, address: '10.0.0.1', port: 8080, effectiveState: 'ready' }] }),
    report({ id: 'b'.repeat(64), name: 'typo-1', state: 'invalid', reason: 'bad labels', errors: ['container typo-1: label haproxy.prot="8080": unknown label; did you mean haproxy.port?'] }),
    report({ id: 'd'.repeat(64), name: 'plain', state: 'unlabelled', reason: 'no haproxy labels' }),
  ];

  const s = await buildSnapshot({
    ops,
    haproxy: createFakeAdmin(),
    quic: async () => false,
    pemCerts: async () => [{ name: 'old.test', dnsNames: ['old.test'], notAfter: new Date(NOW - 2 * DAY).toISOString(), path: '/c/old.pem' }],
    managedCerts: async () => [cert({ name: 'app.test', domains: ['app.test'], issuer: 'Pebble', notAfter: new Date(NOW + 20 * DAY).toISOString(), lastError: 'DNS-01 timed out', failures: 2 })],
    containers: { list: () => containers, stats: () => stats, socket: '/run/podman/podman.sock' },
    auditFile,
    lastReconcileAt: async () => NOW - 500,
    now: () => NOW,
  });

  assert.deepEqual(s.hosts.map((h) => [h.host, h.source, h.wouldServe]), [
    ['app.test', 'container web-1', true],
    ['res.test', 'resource Domain/res', false],
  ]);
  assert.deepEqual(s.hosts[0]!.servers.map((v) => [v.name, v.family, v.slot, `${v.address}:${v.port}`, v.effectiveState, v.health, v.source]), [['pool_1_1', 'http', 1, '10.0.0.1:8080', 'ready', 'UP', 'container web-1']]);
  const res = s.hosts[1]!;
  assert.equal(res.servers[0]!.override, 'state=maint by alice');
  assert.equal(res.problems[0], 'no http-family server is ready, weighted and up: plain HTTP requests get 503');
  assert.deepEqual(s.haproxy, { version: '2.6.12', pid: 1000, uptimeSec: 5, quic: false });
  assert.deepEqual(s.podman, { enabled: true, connected: true, watched: 2, socket: '/run/podman/podman.sock', lastSyncAt: new Date(NOW - 1000).toISOString(), eventsLog: '/run/libpod/events/events.log' });
  assert.equal(s.lastReconcileAt, new Date(NOW - 500).toISOString());
  assert.deepEqual(s.containers.map((c) => [c.name, c.state, c.errors]), [
    ['typo-1', 'invalid', ['container typo-1: label haproxy.prot="8080": unknown label; did you mean haproxy.port?']],
    ['web-1', 'ready', []],
  ], 'unlabelled containers are not listed');
  assert.deepEqual(s.containers[1]!.servers, ['app.test pool_1_1 10.0.0.1:8080']);
  assert.deepEqual(s.certificates.map((c) => [c.name, c.issuer, c.daysLeft, c.renewal, c.lastError]), [
    ['app.test', 'Pebble', 20, 'failing', 'DNS-01 timed out'],
    ['old.test', undefined, -2, 'expired', undefined],
  ]);
  assert.deepEqual(s.audit.map((a) => [a.tool, a.outcome, a.error]), [
    ['haproxy_set_server_state', 'error', 'no such slot'],
    ['haproxy_add_domain', 'ok', undefined],
  ]);

  // HAProxy and the certificate store down: reported in the snapshot, not thrown.
  const down = await buildSnapshot({
    ops,
    haproxy: { info: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9999')), stats: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9999')) },
    pemCerts: () => Promise.reject(new Error('EACCES /certs')),
    auditFile: join(dir, 'missing.log'),
    now: () => NOW,
  });
  assert.deepEqual(down.haproxy, { error: 'connect ECONNREFUSED 127.0.0.1:9999' });
  assert.equal(down.certificatesError, 'EACCES /certs');
  assert.deepEqual(down.audit, []);
  assert.deepEqual(down.podman, { enabled: false });
  assert.match(down.hosts[0]!.problems.join('\n'), /live health unavailable: HAProxy statistics unavailable \(connect ECONNREFUSED/);
});

test('renewal state in words', () => {
  const future = new Date(NOW + 30 * DAY).toISOString();
  assert.equal(renewalState(cert({ notAfter: future, renewAt: new Date(NOW + DAY).toISOString() }), NOW), 'ok');
  assert.equal(renewalState(cert({ notAfter: future, renewAt: new Date(NOW - DAY).toISOString() }), NOW), 'renewal due');
  assert.equal(renewalState(cert({ notAfter: future, ready: false }), NOW), 'pending');
  assert.equal(renewalState(cert({ notAfter: future, hotloadPending: true }), NOW), 'hot-load pending');
  assert.equal(renewalState(cert({ notAfter: new Date(NOW - DAY).toISOString(), lastError: 'rate limited', failures: 3 }), NOW), 'expired, renewal failing');
});

test('audit tail: only the last entries, and a tail that starts mid-line drops that line', async (t) => {
  const defer = deferCleanup(t);
  const dir = await mkdtemp(join(tmpdir(), 'hop-status-audit-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  // ~200 KB: more than the 64 KB read from the end.
  const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ time: `t${i}`, tool: `tool_${i}`, args: { pad: 'x'.repeat(60) }, caller: 'stdio', outcome: 'ok', dry_run: false }));
  await writeFile(file, `${lines.join('\n')}\n`);
  const tail = await readAuditTail(file, 5);
  assert.deepEqual(tail.map((e) => e.tool), ['tool_1999', 'tool_1998', 'tool_1997', 'tool_1996', 'tool_1995']);
});

test('hub: pushes a snapshot on attach and then only when more than the clock changed', async (t) => {
  let builds = 0;
  let hosts: StatusSnapshot['hosts'] = [];
  const build = async (): Promise<StatusSnapshot> => {
    builds += 1;
    return { generatedAt: new Date(NOW + builds).toISOString(), haproxy: { version: '3.0', pid: 1, uptimeSec: builds }, podman: { enabled: false }, hosts, containers: [], certificates: [], audit: [] };
  };
  const hub = createStatusHub({ build, logger: pino({ level: 'silent' }), tickMs: 20 });
  t.after(() => hub.stop());
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  hub.attach(stream as unknown as ServerResponse);
  const events = () => text.split('event: snapshot').length - 1;
  await waitFor(() => events() === 1, { message: 'first snapshot pushed on attach' });
  const seen = builds;
  await waitFor(() => builds >= seen + 5, { message: 'ticks rebuild while a stream is open' });
  assert.equal(events(), 1, 'uptime and time alone push nothing');
  hosts = [{ host: 'new.test', pool: 1, backend: 'pool_1', source: 'manual', wouldServe: true, problems: [], servers: [] }];
  hub.notify();
  await waitFor(() => events() === 2, { message: 'a new host pushes a snapshot' });
  assert.match(text, /"host":"new\.test"/);
  assert.equal(hub.clients(), 1);
  stream.emit('close');
  assert.equal(hub.clients(), 0);
});
