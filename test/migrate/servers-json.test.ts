/**
 * @module Tests for reading the original's undocumented servers.json: each
 * plausible shape gives the same servers, and every entry that cannot be read
 * is reported with its JSON path (none is dropped silently).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOriginalServers, jsonPath, type ServerRecord } from '../../src/migrate/servers-json.ts';

function brief(r: ServerRecord): string {
  return `${r.domain ?? '-'}|${r.pool ?? '-'}|${r.family}|${r.slot}|${r.address}:${r.port}${r.implied ? '*' : ''}`;
}

const cases: Array<{ desc: string; input: unknown; want: string[] }> = [
  {
    desc: '{domain: {slot: {ip, port}}} with a custom port (HTTP only) and a default port (three servers)',
    input: { 'api.example.com': { '1': { ip: '10.0.0.1', port: 8080 } }, 'example.com': { '2': { ip: '10.0.0.2', port: '80' } } },
    want: ['api.example.com|-|http|1|10.0.0.1:8080', 'example.com|-|http|2|10.0.0.2:80', 'example.com|-|ssl|2|10.0.0.2:443*', 'example.com|-|h3|2|10.0.0.2:443*'],
  },
  {
    desc: '{domain: {pool, servers: {...}}} with slots keyed by server name',
    input: { 'example.com': { pool: 'pool_5', servers: { pool_5_1: { addr: '10.0.0.1', port: 80 }, pool_5_ssl_1: { address: '10.0.0.1', port: 443 } } } },
    want: ['example.com|5|http|1|10.0.0.1:80', 'example.com|5|ssl|1|10.0.0.1:443'],
  },
  {
    desc: '{domain: [ {slot, ip, port, family}, ... ]}',
    input: { 'example.com': [{ slot: 3, ip: '10.0.0.3', port: 9000 }, { slot: '4', ip: '::1', port: 9001, type: 'https' }] },
    want: ['example.com|-|http|3|10.0.0.3:9000', 'example.com|-|ssl|4|::1:9001'],
  },
  {
    desc: '{pool_N: {server name: {...}}} without a domain (resolved later through domains.map)',
    input: { pool_7: { pool_7_1: { ip: '10.0.0.7', port: 8081 }, pool_7_h3_2: { ip: '10.0.0.8', port: 8443 } } },
    want: ['-|7|http|1|10.0.0.7:8081', '-|7|h3|2|10.0.0.8:8443'],
  },
  {
    desc: 'entries as "ip:port" strings, combined addr fields and a name field in a list',
    input: { 'a.com': { '1': '10.0.0.1:8080', '2': { addr: '10.0.0.2:8081' } }, 'b.com': [{ name: 'pool_9_ssl_2', ip: '10.0.0.9', port: 8443 }] },
    want: ['a.com|-|http|1|10.0.0.1:8080', 'a.com|-|http|2|10.0.0.2:8081', 'b.com|9|ssl|2|10.0.0.9:8443'],
  },
  {
    desc: 'http_port + https_port make explicit ssl and h3 servers',
    input: { 'a.com': { '1': { ip: '10.0.0.1', http_port: 8080, https_port: 8443 } } },
    want: ['a.com|-|http|1|10.0.0.1:8080', 'a.com|-|ssl|1|10.0.0.1:8443', 'a.com|-|h3|1|10.0.0.1:8443'],
  },
  {
    desc: 'a domain object that is itself one server goes to slot 1',
    input: { 'a.com': { ip: '10.0.0.1', port: 3000 } },
    want: ['a.com|-|http|1|10.0.0.1:3000'],
  },
  {
    desc: "the operator's own v1 file reads back unchanged",
    input: { version: 1, domains: { 'a.com': { pool: 3, servers: [{ family: 'ssl', slot: 2, address: '10.0.0.1', port: 443 }] } } },
    want: ['a.com|3|ssl|2|10.0.0.1:443'],
  },
];

for (const c of cases) {
  test(`shape: ${c.desc}`, () => {
    const out = parseOriginalServers(c.input);
    assert.deepEqual(out.problems, []);
    assert.deepEqual(out.records.map(brief), c.want);
  });
}

test('every unreadable entry is reported with its JSON path; readable neighbours are kept', () => {
  const input = {
    'ok.com': {
      '1': { ip: '10.0.0.1', port: 8080 },
      '2': { ip: 'not-an-ip', port: 80 },
      '3': { ip: '10.0.0.3', port: 70000 },
      weird: { ip: '10.0.0.4', port: 81 },
      '5': 42,
      pool_9_1: { ip: '10.0.0.5', port: 82 },
    },
    'list.com': [{ ip: '10.0.0.6', port: 83 }, { slot: 2, port: 84 }, { slot: 3, ip: '10.0.0.7', port: 85, type: 'gopher' }],
    'not a host': { '1': { ip: '10.0.0.8', port: 86 } },
    'str.com': 'nope',
    'pol.com': { pool: 'pool_x', '1': { ip: '10.0.0.9', port: 87 } },
  };
  const out = parseOriginalServers(input);
  assert.deepEqual(out.records.map(brief), ['ok.com|-|http|1|10.0.0.1:8080', 'ok.com|9|http|1|10.0.0.5:82', 'pol.com|-|http|1|10.0.0.9:87']);
  const byPath = Object.fromEntries(out.problems.map((p) => [p.path, p]));
  assert.deepEqual(Object.keys(byPath).sort(), [
    'servers.json:$["list.com"][0]',
    'servers.json:$["list.com"][1]',
    'servers.json:$["list.com"][2].type',
    'servers.json:$["not a host"]',
    'servers.json:$["ok.com"].weird',
    'servers.json:$["ok.com"]["2"].ip',
    'servers.json:$["ok.com"]["3"].port',
    'servers.json:$["ok.com"]["5"]',
    'servers.json:$["pol.com"].pool',
    'servers.json:$["str.com"]',
  ]);
  assert.equal(byPath['servers.json:$["ok.com"]["2"].ip']!.value, 'not-an-ip');
  assert.equal(byPath['servers.json:$["ok.com"]["3"].port']!.value, 70000);
  assert.match(byPath['servers.json:$["ok.com"].weird']!.reason, /neither a slot number nor a server name/);
  assert.match(byPath['servers.json:$["list.com"][1]']!.reason, /no address/);
  // Nothing silently dropped: each input entry is either a record source or a problem.
  const sources = new Set(out.records.map((r) => r.path));
  assert.equal(sources.size + out.problems.length, 13);
});

test('a server name that disagrees with its pool, or a non-object top level, is reported', () => {
  const out = parseOriginalServers({ pool_4: { pool_5_1: { ip: '10.0.0.1', port: 80 } } });
  assert.equal(out.records.length, 0);
  assert.equal(out.problems[0]!.path, 'servers.json:$.pool_4.pool_5_1');
  assert.match(out.problems[0]!.reason, /pool_5 but the enclosing entry says pool_4/);
  const top = parseOriginalServers([1, 2]);
  assert.equal(top.problems[0]!.path, 'servers.json:$');
});

test('jsonPath quotes keys that are not identifiers', () => {
  assert.equal(jsonPath(['a.com', 0, 'port']), '$["a.com"][0].port');
});
