/**
 * @module Observed-state parsers against output captured from a real
 * HAProxy 2.6.12 (test/haproxy/fixtures/): `show map`, `show servers state`
 * (with its leading "1" version line and the header), `show stat` CSV,
 * `show info` and `haproxy -vv`. The fixtures were taken after
 * `set server pool_1/pool_1_1 addr 127.0.0.5 port 8080` + `state ready` +
 * `disable health`, and pool_1_2 set to [::1]:81, weight 7, drain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseShowMap } from '../../src/haproxy/parsers/show-map.ts';
import { adminStateName, healthEnabled, parseServersState } from '../../src/haproxy/parsers/servers-state.ts';
import { parseShowStat } from '../../src/haproxy/parsers/show-stat.ts';
import { parseShowInfo } from '../../src/haproxy/parsers/show-info.ts';
import { capabilitiesFromFlags, capabilitiesFromRuntime, parseCapabilities } from '../../src/haproxy/capabilities.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

test('show map: key and value of each entry, in order', () => {
  assert.deepEqual(parseShowMap(fixture('show-map.txt')), [
    { key: 'a.test', value: 'pool_1' },
    { key: 'b.test', value: 'pool_2' },
  ]);
  assert.deepEqual(parseShowMap(''), []);
  // `add map` does not dedupe: both entries must be seen so the reconciler can repair them.
  assert.deepEqual(parseShowMap('0x1 a.test pool_1\n0x2 a.test pool_2\n'), [
    { key: 'a.test', value: 'pool_1' },
    { key: 'a.test', value: 'pool_2' },
  ]);
  assert.deepEqual(parseShowMap('Unknown map identifier. Please use #<id> or <file>.'), []);
});

test('show servers state of one backend: version line and header skipped, columns by name', () => {
  const rows = parseServersState(fixture('servers-state-pool_1.txt'));
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[0], { backend: 'pool_1', server: 'pool_1_1', address: '127.0.0.5', port: 8080, opState: 2, adminState: 4, weight: 1, checkState: 2 });
  assert.deepEqual(rows[1], { backend: 'pool_1', server: 'pool_1_2', address: '::1', port: 81, opState: 2, adminState: 12, weight: 7, checkState: 6 });
  assert.deepEqual(rows[2], { backend: 'pool_1', server: 'pool_1_3', address: '127.0.0.1', port: 1, opState: 0, adminState: 5, weight: 1, checkState: 14 });
  assert.deepEqual(rows.map((r) => adminStateName(r.adminState)), ['ready', 'drain', 'maint']);
  assert.deepEqual(rows.map((r) => healthEnabled(r.checkState)), [false, true, true]);
});

test('show servers state of every backend', () => {
  const rows = parseServersState(fixture('servers-state-all.txt'));
  assert.equal(rows.length, 18, '2 pools x 3 families x 3 slots');
  assert.deepEqual([...new Set(rows.map((r) => r.backend))], ['pool_1', 'pool_1_ssl', 'pool_1_h3', 'pool_2', 'pool_2_ssl', 'pool_2_h3']);
  assert.ok(rows.every((r) => Number.isInteger(r.port) && r.server.startsWith(r.backend.replace(/_(ssl|h3)$/, ''))));
});

test('show servers state: columns are found by header name, not position', () => {
  const reply = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_check_state srv_port extra_col\n3 pool_9 1 pool_9_1 10.0.0.9 2 4 50 6 9090 x';
  assert.deepEqual(parseServersState(reply), [{ backend: 'pool_9', server: 'pool_9_1', address: '10.0.0.9', port: 9090, opState: 2, adminState: 4, weight: 50, checkState: 6 }]);
  assert.deepEqual(parseServersState('No such backend.'), []);
  assert.deepEqual(parseServersState('1\n'), []);
});

test('admin state names: maintenance bits win over drain, config-disabled alone is not maint', () => {
  const table: Array<[number, string]> = [
    [0, 'ready'], [4, 'ready'], [5, 'maint'], [1, 'maint'], [2, 'maint'], [0x20, 'maint'], [8, 'drain'], [12, 'drain'], [0x10, 'drain'], [13, 'maint'],
  ];
  for (const [bits, name] of table) assert.equal(adminStateName(bits), name, `admin state ${bits}`);
});

test('show stat CSV: rows by header name', () => {
  const rows = parseShowStat(fixture('show-stat.csv'));
  assert.equal(rows.length, 27);
  assert.deepEqual(rows.filter((r) => r.type === 'frontend').map((r) => r.proxy), ['http', 'https']);
  const s1 = rows.find((r) => r.name === 'pool_1_1')!;
  assert.equal(s1.type, 'server');
  assert.equal(s1.proxy, 'pool_1');
  assert.equal(s1.status, 'no check');
  assert.equal(s1.address, '127.0.0.5:8080');
  assert.equal(s1.weight, 1);
  const s2 = rows.find((r) => r.name === 'pool_1_2')!;
  assert.equal(s2.status, 'DRAIN 1/2');
  assert.equal(s2.address, '[::1]:81');
  assert.equal(s2.checkStatus, 'INI');
  assert.equal(s2.weight, 7);
  assert.equal(rows.find((r) => r.name === 'pool_2_h3_3')!.status, 'MAINT');
  const backend = rows.find((r) => r.proxy === 'pool_1' && r.name === 'BACKEND')!;
  assert.equal(backend.type, 'backend');
  assert.equal(backend.status, 'UP');
  for (const r of rows) assert.ok(Number.isFinite(r.currentSessions) && Number.isFinite(r.totalSessions), `${r.proxy}/${r.name} numbers`);
  assert.deepEqual(parseShowStat(''), []);
  assert.deepEqual(parseShowStat('Unknown command'), []);
});

test('show info: pid, uptime, version, connections', () => {
  const info = parseShowInfo(fixture('show-info.txt'));
  assert.equal(info.pid, 29125);
  assert.equal(info.uptimeSec, 0);
  assert.equal(info.version, '2.6.12-1+deb12u3');
  assert.equal(info.currConns, 0);
  assert.equal(info.raw.Maxconn, '100');
  assert.equal(info.raw.Release_date, '2025/10/03');
  assert.equal(parseShowInfo('').pid, 0);
});

test('haproxy -vv: QUIC only when the feature list shows +QUIC; limited-quic only with the OpenSSL compat layer', () => {
  const debian = fixture('haproxy-vv.txt');
  assert.deepEqual(parseCapabilities(debian), { version: '2.6.12-1+deb12u3', major: 2, minor: 6, quic: false, quicOpensslCompat: false });
  assert.equal(parseCapabilities(debian.replace('-QUIC', '+QUIC')).quic, true);
  assert.equal(parseCapabilities(debian.replace('-QUIC', '+QUIC')).quicOpensslCompat, false, 'quictls/AWS-LC builds need no limited-quic');
  assert.equal(parseCapabilities('HAProxy version 2.8.1\nFeature list : +OPENSSL +QUIC_OPENSSL_COMPAT').quic, false);
  assert.deepEqual(parseCapabilities(fixture('haproxy-vv-3.0.txt')), { version: '3.0.11-1+deb13u4', major: 3, minor: 0, quic: true, quicOpensslCompat: true });
});

test('Runtime API: show version + show dev (3.0), or show version alone (2.6 answers show dev with Unknown command)', () => {
  assert.deepEqual(capabilitiesFromRuntime('3.0.11-1+deb13u4\n', fixture('show-dev-3.0.txt')), { version: '3.0.11-1+deb13u4', major: 3, minor: 0, quic: true, quicOpensslCompat: true });
  const old = capabilitiesFromRuntime('2.6.12-1+deb12u3', 'Unknown command, but maybe one of the following ones is a better match:\n  show env [var] : +QUIC');
  assert.deepEqual(old, { version: '2.6.12-1+deb12u3', major: 2, minor: 6, quic: false, quicOpensslCompat: false });
  assert.throws(() => capabilitiesFromRuntime('Unknown command', ''), /show version.*Unknown command/);
});

test('render-config flags: version and feature words validated, naming the flag and the value', () => {
  assert.deepEqual(capabilitiesFromFlags('3.2.0', '+QUIC'), { version: '3.2.0', major: 3, minor: 2, quic: true, quicOpensslCompat: false });
  assert.deepEqual(capabilitiesFromFlags('3.0.11', '+QUIC, +QUIC_OPENSSL_COMPAT').quicOpensslCompat, true);
  assert.equal(capabilitiesFromFlags('2.6', '').quic, false);
  assert.equal(capabilitiesFromFlags('3.2', '-QUIC').quic, false);
  assert.throws(() => capabilitiesFromFlags('3.x', ''), /--haproxy-version="3\.x"/);
  assert.throws(() => capabilitiesFromFlags('3.2', 'QUIC;reload'), /--haproxy-features="QUIC;reload"/);
});
