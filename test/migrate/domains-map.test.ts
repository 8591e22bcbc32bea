/** @module Tests for parsing and rendering the original's domains.map. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDomainsMap } from '../../src/migrate/domains-map.ts';
import { renderDomainsMap } from '../../src/store/state-store.ts';
import type { DesiredState } from '../../src/model/state.ts';

const pools = (domains: Record<string, number>): DesiredState => ({
  version: 1,
  domains: Object.fromEntries(Object.entries(domains).map(([h, pool]) => [h, { pool, source: 'import', servers: [] }])),
});

test('reads host pool_N lines, skipping comments and blank lines', () => {
  const { entries, problems } = parseDomainsMap('# routes\n\nexample.com pool_5\nAPI.Example.com\tpool_6   # api\n');
  assert.deepEqual(problems, []);
  assert.deepEqual(entries, [
    { host: 'example.com', pool: 5, line: 3 },
    { host: 'api.example.com', pool: 6, line: 4 },
  ]);
});

test('reports each unreadable line with its line number and keeps the rest', () => {
  const { entries, problems } = parseDomainsMap('good.com pool_1\nbad_host! pool_2\nx.com backend_3\nlonely.com\nx.com pool_4 extra\ngood.com pool_9\n');
  assert.deepEqual(entries.map((e) => e.host), ['good.com']);
  assert.deepEqual(
    problems.map((p) => p.path),
    ['domains.map:2', 'domains.map:3', 'domains.map:4', 'domains.map:5', 'domains.map:6'],
  );
  assert.match(problems[1]!.reason, /pool backend name/);
  assert.equal(problems[1]!.value, 'backend_3');
  assert.match(problems[4]!.reason, /already mapped on line 1/);
});

test('the operator\'s domains.map parses back to the same routes', () => {
  const text = renderDomainsMap(pools({ 'b.com': 2, 'a.com': 7 }));
  assert.equal(text, 'a.com pool_7\nb.com pool_2\n');
  assert.deepEqual(parseDomainsMap(text).entries.map((e) => [e.host, e.pool]), [['a.com', 7], ['b.com', 2]]);
  assert.equal(renderDomainsMap(pools({})), '');
});
