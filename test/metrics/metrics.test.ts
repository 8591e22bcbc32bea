/**
 * Unit tests of the metrics module with fake sources: metric names and
 * types, values computed at scrape time, the reconcile hook, counters read
 * from monotonic sources, certificate failure counting across the manager's
 * reset-on-success, and the /metrics route on the real HTTP listener.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register as globalRegister } from 'prom-client';
import pino from 'pino';
import { createMetrics, type CertRow, type MetricsSources } from '../../src/metrics/metrics.ts';
import type { Operations } from '../../src/operations/types.ts';
import type { RuntimeClient } from '../../src/haproxy/runtime-client.ts';
import type { Supervisor } from '../../src/haproxy/supervisor.ts';
import type { ContainerWatcher } from '../../src/podman/watcher.ts';
import type { CertManager } from '../../src/acme/manager.ts';
import { capacityUsage } from '../../src/metrics/usage.ts';
import { createHttpListener } from '../../src/http/listener.ts';
import type { DesiredState, ServerSpec } from '../../src/model/state.ts';
import { parseExposition } from './exposition.ts';

const silent = pino({ level: 'silent' });

function server(family: ServerSpec['family'], slot: number): ServerSpec {
  return { family, slot, address: '10.0.0.1', port: 80, weight: 1, state: 'ready', source: 'manual' };
}

function state(): DesiredState {
  return {
    version: 1,
    domains: {
      // default ports: the three families in slot 1, plus a second http server
      'a.test': { pool: 1, source: 'manual', servers: [server('http', 1), server('ssl', 1), server('h3', 1), server('http', 2)] },
      // custom port: http only
      'b.test': { pool: 2, source: 'manual', servers: [server('http', 1)] },
      // a domain whose servers are all gone still holds its pool
      'c.test': { pool: 7, source: 'manual', servers: [] },
    },
  };
}

test('capacityUsage counts pools held and slots per family', () => {
  const cases: Array<{ desc: string; state: DesiredState; pools: [number, number]; http: [number, number]; ssl: [number, number] }> = [
    { desc: 'empty', state: { version: 1, domains: {} }, pools: [0, 10], http: [0, 50], ssl: [0, 50] },
    { desc: 'three domains', state: state(), pools: [3, 7], http: [3, 47], ssl: [1, 49] },
    {
      desc: 'pool beyond capacity still counts, free stays >= 0',
      state: { version: 1, domains: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`d${i}.test`, { pool: i + 1, source: 'manual' as const, servers: [] }])) },
      pools: [12, 0],
      http: [0, 50],
      ssl: [0, 50],
    },
  ];
  for (const c of cases) {
    const u = capacityUsage(c.state, { pools: 10, slots: 5 });
    assert.deepEqual([u.pools.used, u.pools.free], c.pools, c.desc);
    assert.deepEqual([u.slots.http.used, u.slots.http.free], c.http, c.desc);
    assert.deepEqual([u.slots.ssl.used, u.slots.ssl.free], c.ssl, c.desc);
  }
});

test('every metric has its name and type, values come from the sources at scrape time', async () => {
  let sent = 5;
  let restarts = 0;
  let pid = 1234;
  let desired = state();
  const m = createMetrics({
    capacity: { pools: 10, slots: 5 },
    processMetrics: false,
    state: { snapshot: () => desired },
    runtime: { get sent() { return sent; } },
    supervisor: { get restarts() { return restarts; }, workerPid: () => pid, masterPid: () => 1000 },
    containers: { stats: () => ({ watched: 4, invalid: 1, connected: true, reconnects: 2, events: 7, early: 5, syncErrors: 0, lastSyncAt: 1_700_000_000_000 }) },
    certs: { list: async () => [{ name: 'a.test', notAfter: '2030-01-01T00:00:00Z', failures: 0 }] },
    logger: silent,
  });
  let e = parseExposition(await m.render());
  const expected: Record<string, string> = {
    haproxy_operator_reconcile_duration_seconds: 'histogram',
    haproxy_operator_reconcile_errors_total: 'counter',
    haproxy_operator_reconcile_commands_total: 'counter',
    haproxy_operator_last_successful_reconcile_timestamp_seconds: 'gauge',
    haproxy_operator_runtime_commands_sent_total: 'counter',
    haproxy_operator_pools_used: 'gauge',
    haproxy_operator_pools_free: 'gauge',
    haproxy_operator_slots_used: 'gauge',
    haproxy_operator_slots_free: 'gauge',
    haproxy_operator_containers_watched: 'gauge',
    haproxy_operator_containers_quarantined: 'gauge',
    haproxy_operator_containers_last_sync_timestamp_seconds: 'gauge',
    haproxy_operator_podman_connected: 'gauge',
    haproxy_operator_podman_reconnects_total: 'counter',
    haproxy_operator_podman_events_total: 'counter',
    haproxy_operator_podman_events_early_total: 'counter',
    haproxy_operator_containers_sync_errors_total: 'counter',
    haproxy_operator_certificate_expiry_timestamp_seconds: 'gauge',
    haproxy_operator_certificate_renewal_failures_total: 'counter',
    haproxy_operator_certificate_consecutive_failures: 'gauge',
    haproxy_operator_certificate_failing: 'gauge',
    haproxy_operator_certificate_list_errors_total: 'counter',
    haproxy_operator_haproxy_restarts_total: 'counter',
    haproxy_operator_haproxy_worker_pid: 'gauge',
    haproxy_operator_haproxy_master_pid: 'gauge',
  };
  for (const [name, type] of Object.entries(expected)) assert.equal(e.types.get(name), type, name);

  assert.equal(e.value('haproxy_operator_pools_used'), 3);
  assert.equal(e.value('haproxy_operator_pools_free'), 7);
  assert.equal(e.value('haproxy_operator_slots_used', { family: 'http' }), 3);
  assert.equal(e.value('haproxy_operator_slots_used', { family: 'ssl' }), 1);
  assert.equal(e.value('haproxy_operator_slots_used', { family: 'h3' }), 1);
  assert.equal(e.value('haproxy_operator_slots_free', { family: 'http' }), 47);
  assert.equal(e.value('haproxy_operator_runtime_commands_sent_total'), 5);
  assert.equal(e.value('haproxy_operator_haproxy_restarts_total'), 0);
  assert.equal(e.value('haproxy_operator_haproxy_worker_pid'), 1234);
  assert.equal(e.value('haproxy_operator_haproxy_master_pid'), 1000);
  assert.equal(e.value('haproxy_operator_containers_watched'), 4);
  assert.equal(e.value('haproxy_operator_containers_quarantined'), 1);
  assert.equal(e.value('haproxy_operator_podman_events_total'), 7);
  assert.equal(e.value('haproxy_operator_podman_events_early_total'), 5);
  assert.equal(e.value('haproxy_operator_containers_last_sync_timestamp_seconds'), 1_700_000_000);
  assert.equal(e.value('haproxy_operator_podman_connected'), 1);
  assert.equal(e.value('haproxy_operator_podman_reconnects_total'), 2);
  assert.equal(e.value('haproxy_operator_certificate_expiry_timestamp_seconds', { name: 'a.test' }), Date.parse('2030-01-01T00:00:00Z') / 1000);
  assert.equal(e.value('haproxy_operator_certificate_failing', { name: 'a.test' }), 0);
  assert.equal(e.value('haproxy_operator_last_successful_reconcile_timestamp_seconds'), 0);

  // The next scrape reads the sources again.
  sent = 42;
  restarts = 2;
  pid = 5678;
  desired = { version: 1, domains: {} };
  e = parseExposition(await m.render());
  assert.equal(e.value('haproxy_operator_runtime_commands_sent_total'), 42);
  assert.equal(e.value('haproxy_operator_haproxy_restarts_total'), 2);
  assert.equal(e.value('haproxy_operator_haproxy_worker_pid'), 5678);
  assert.equal(e.value('haproxy_operator_pools_used'), 0);
  assert.equal(e.value('haproxy_operator_slots_used', { family: 'http' }), 0);
  assert.equal(e.value('haproxy_operator_slots_free', { family: 'h3' }), 50);
});

test('the reconcile hook feeds the histogram, the command and error counters and the last-success time', async () => {
  let clock = 1_800_000_000_000;
  const m = createMetrics({ capacity: { pools: 1, slots: 1 }, processMetrics: false, now: () => clock });
  m.hooks.onReconcile({ durationMs: 3, commands: 7 });
  clock += 5000;
  m.hooks.onReconcile({ durationMs: 200, commands: 2 });
  clock += 5000;
  m.hooks.onReconcile({ durationMs: 1, commands: 4, error: new Error('No such server.') });
  // A broken report must not throw into the operations queue.
  assert.doesNotThrow(() => m.hooks.onReconcile({ durationMs: Number.NaN, commands: Number.NaN }));
  const e = parseExposition(await m.render());
  assert.equal(e.value('haproxy_operator_reconcile_duration_seconds_count'), 3);
  assert.ok(Math.abs(e.value('haproxy_operator_reconcile_duration_seconds_sum')! - 0.204) < 1e-9);
  assert.equal(e.value('haproxy_operator_reconcile_duration_seconds_bucket', { le: '0.005' }), 2);
  assert.equal(e.value('haproxy_operator_reconcile_duration_seconds_bucket', { le: '0.25' }), 3);
  assert.equal(e.value('haproxy_operator_reconcile_commands_total'), 13);
  assert.equal(e.value('haproxy_operator_reconcile_errors_total'), 1);
  // The failed reconcile does not move the last-success time.
  assert.equal(e.value('haproxy_operator_last_successful_reconcile_timestamp_seconds'), 1_800_000_005);
});

test('sources attached later appear then; absent sources show no series', async () => {
  const m = createMetrics({ capacity: { pools: 3, slots: 2 }, processMetrics: false });
  let e = parseExposition(await m.render());
  assert.equal(e.types.get('haproxy_operator_containers_watched'), undefined);
  assert.equal(e.types.get('haproxy_operator_runtime_commands_sent_total'), undefined);
  assert.equal(e.types.get('haproxy_operator_pools_used'), undefined);
  assert.equal(e.types.get('haproxy_operator_reconcile_errors_total'), 'counter');
  m.attach({ containers: { stats: () => ({ watched: 9, invalid: 3 }) }, state: { snapshot: state } });
  e = parseExposition(await m.render());
  assert.equal(e.value('haproxy_operator_containers_watched'), 9);
  assert.equal(e.value('haproxy_operator_containers_quarantined'), 3);
  assert.equal(e.value('haproxy_operator_containers_last_sync_timestamp_seconds'), 0);
  assert.equal(e.value('haproxy_operator_pools_used'), 3);
  assert.equal(e.value('haproxy_operator_pools_free'), 0);
  // Attaching again replaces the source without registering twice.
  m.attach({ containers: { stats: () => ({ watched: 1, invalid: 0 }) } });
  e = parseExposition(await m.render());
  assert.equal(e.value('haproxy_operator_containers_watched'), 1);
});

test('certificate failures: counted across resets, one list() per scrape, removed names drop out', async () => {
  let rows: CertRow[] = [];
  let calls = 0;
  let broken = false;
  const m = createMetrics({
    capacity: { pools: 1, slots: 1 },
    processMetrics: false,
    logger: silent,
    certs: {
      list: async () => {
        calls += 1;
        if (broken) throw new Error('acme state unreadable');
        return rows;
      },
    },
  });
  const scrape = async () => parseExposition(await m.render());
  const total = (e: Awaited<ReturnType<typeof scrape>>, name: string) => e.value('haproxy_operator_certificate_renewal_failures_total', { name });

  rows = [{ name: 'a.test', notAfter: new Date('2031-05-01T00:00:00Z'), failures: 1, lastError: 'dns: timeout' }, { name: 'b.test', failures: 0 }];
  let e = await scrape();
  assert.equal(calls, 1, 'one list() for all certificate metrics of a scrape');
  assert.equal(total(e, 'a.test'), 1);
  assert.equal(total(e, 'b.test'), 0);
  assert.equal(e.value('haproxy_operator_certificate_failing', { name: 'a.test' }), 1);
  assert.equal(e.value('haproxy_operator_certificate_consecutive_failures', { name: 'a.test' }), 1);
  assert.equal(e.value('haproxy_operator_certificate_expiry_timestamp_seconds', { name: 'a.test' }), Date.parse('2031-05-01T00:00:00Z') / 1000);
  assert.equal(e.value('haproxy_operator_certificate_expiry_timestamp_seconds', { name: 'b.test' }), undefined, 'no notAfter: no expiry sample');

  rows = [{ name: 'a.test', failures: 3, lastError: 'dns: timeout' }, { name: 'b.test', failures: 0 }];
  e = await scrape();
  assert.equal(total(e, 'a.test'), 3);
  rows = [{ name: 'a.test', notAfter: '2031-08-01T00:00:00Z', failures: 0 }, { name: 'b.test', failures: 0 }];
  e = await scrape();
  assert.equal(total(e, 'a.test'), 3, 'a success does not lower the counter');
  assert.equal(e.value('haproxy_operator_certificate_failing', { name: 'a.test' }), 0);
  rows = [{ name: 'a.test', failures: 1, lastError: 'acme: 429' }];
  e = await scrape();
  assert.equal(total(e, 'a.test'), 4);
  assert.equal(total(e, 'b.test'), undefined, 'b.test was removed');
  assert.equal(e.value('haproxy_operator_certificate_consecutive_failures', { name: 'b.test' }), undefined);

  broken = true;
  e = await scrape();
  assert.equal(e.value('haproxy_operator_certificate_list_errors_total'), 1);
  assert.equal(calls, 5);
});

test('each operator has its own registry; the global one stays empty', async () => {
  const a = createMetrics({ capacity: { pools: 1, slots: 1 }, processMetrics: false });
  const b = createMetrics({ capacity: { pools: 1, slots: 1 }, processMetrics: false });
  a.hooks.onReconcile({ durationMs: 1, commands: 1 });
  assert.equal(parseExposition(await a.render()).value('haproxy_operator_reconcile_duration_seconds_count'), 1);
  assert.equal(parseExposition(await b.render()).value('haproxy_operator_reconcile_duration_seconds_count'), 0);
  assert.equal(globalRegister.getSingleMetric('haproxy_operator_reconcile_errors_total'), undefined);
  // Process metrics are per registry too: two of them in one process do not collide.
  const c = createMetrics({ capacity: { pools: 1, slots: 1 } });
  const d = createMetrics({ capacity: { pools: 1, slots: 1 } });
  const rss = parseExposition(await c.render()).value('haproxy_operator_process_resident_memory_bytes');
  assert.ok(rss && rss > 1_000_000, `process RSS reported: ${rss}`);
  assert.ok(parseExposition(await d.render()).value('haproxy_operator_process_resident_memory_bytes'));
});

test('GET /metrics on the operator listener serves the text format; POST is refused', async (t) => {
  const m = createMetrics({ capacity: { pools: 2, slots: 2 }, processMetrics: false, state: { snapshot: state } });
  const listener = createHttpListener({ logger: silent, port: 0 });
  listener.addRoute('/metrics', m.handler);
  const bound = await listener.start();
  t.after(() => listener.stop());
  const res = await fetch(`${bound.url}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const e = parseExposition(await res.text());
  assert.equal(e.value('haproxy_operator_pools_used'), 3);
  const post = await fetch(`${bound.url}/metrics`, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  await post.text();
  const head = await fetch(`${bound.url}/metrics`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});

test('the real modules fit the source types (checked by tsc; nothing to run)', () => {
  // If a module's shape drifts away from what the metrics read, type-checking this file fails.
  const fits = (_: {
    state: MetricsSources['state'];
    runtime: MetricsSources['runtime'];
    supervisor: MetricsSources['supervisor'];
    containers: MetricsSources['containers'];
    certs: MetricsSources['certs'];
  }) => true;
  const real = {} as { state: Operations; runtime: RuntimeClient; supervisor: Supervisor; containers: ContainerWatcher; certs: CertManager };
  assert.equal(fits(real), true);
});
