/**
 * Integration: a real operator (managed HAProxy) and its own metrics, as
 * wired in startOperator. A route is added through the operations layer,
 * traffic is served through HAProxy, then /metrics is scraped over HTTP and
 * the values are checked against what really happened.
 */
import assert from 'node:assert/strict';
import pino from 'pino';
import { createHttpListener } from '../../src/http/listener.ts';
import { haproxyMissing, startTestOperator, testEachHaproxy } from '../helpers/haproxy.ts';
import { get, startBackend } from '../helpers/http.ts';
import { waitFor } from '../helpers/wait.ts';
import { parseExposition } from './exposition.ts';

const skip = haproxyMissing();

testEachHaproxy('scraping /metrics of a real operator shows the route that was added', { skip }, async (t, haproxy) => {
  const logger = pino({ level: 'silent' });
  const op = await startTestOperator({ pools: 5, slots: 10, haproxy });
  t.after(() => op.stop());
  const backend = await startBackend('metrics-backend');
  t.after(() => backend.close());
  const metrics = op.operator.metrics;
  const ops = op.operator.ops;

  const listener = createHttpListener({ logger, port: 0 });
  listener.addRoute('/metrics', metrics.handler);
  const bound = await listener.start();
  t.after(() => listener.stop());
  const scrape = async () => {
    const res = await fetch(`${bound.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseExposition(await res.text());
  };

  const before = await scrape();
  assert.equal(before.value('haproxy_operator_pools_used'), 0);
  const reconcilesBefore = before.value('haproxy_operator_reconcile_duration_seconds_count')!;
  const sentBefore = before.value('haproxy_operator_runtime_commands_sent_total')!;

  await ops.addDomain({ domain: 'metrics.test', ip: '127.0.0.1', port: backend.port });
  const served = await waitFor(async () => {
    const r = await get(op.httpPort, 'metrics.test');
    return r.status === 200 ? r : undefined;
  }, { timeoutMs: 10_000, message: 'metrics.test served through HAProxy' });
  assert.equal(served.body, 'metrics-backend');

  const e = await scrape();
  assert.equal(e.value('haproxy_operator_pools_used'), 1);
  assert.equal(e.value('haproxy_operator_pools_free'), 4);
  assert.equal(e.value('haproxy_operator_slots_used', { family: 'http' }), 1);
  assert.equal(e.value('haproxy_operator_slots_used', { family: 'ssl' }), 0);
  assert.equal(e.value('haproxy_operator_slots_free', { family: 'http' }), 49);
  assert.ok(e.value('haproxy_operator_runtime_commands_sent_total')! > sentBefore, 'commands were sent for the route');
  assert.ok(e.value('haproxy_operator_reconcile_duration_seconds_count')! > reconcilesBefore);
  assert.ok(e.value('haproxy_operator_reconcile_commands_total')! >= 2, 'at least the server and the map entry');
  assert.equal(e.value('haproxy_operator_reconcile_errors_total'), 0);
  const last = e.value('haproxy_operator_last_successful_reconcile_timestamp_seconds')!;
  assert.ok(Math.abs(last - Date.now() / 1000) < 60, `last success is recent: ${last}`);
  assert.equal(e.value('haproxy_operator_haproxy_worker_pid'), await op.workerPid());
  assert.equal(e.value('haproxy_operator_haproxy_restarts_total'), 0);
  assert.ok(e.value('haproxy_operator_process_resident_memory_bytes')! > 10_000_000);

  // Default ports: three servers, one per family, in a second pool.
  await ops.addDomain({ domain: 'tls.metrics.test', ip: '127.0.0.1' });
  const e2 = await scrape();
  assert.equal(e2.value('haproxy_operator_pools_used'), 2);
  for (const family of ['ssl', 'h3']) assert.equal(e2.value('haproxy_operator_slots_used', { family }), 1, family);
  assert.equal(e2.value('haproxy_operator_slots_used', { family: 'http' }), 2);
  assert.ok(e2.value('haproxy_operator_reconcile_duration_seconds_count')! > e.value('haproxy_operator_reconcile_duration_seconds_count')!);
});
