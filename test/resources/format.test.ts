/** @module get -o table|yaml|json output shapes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { formatAge, formatResources } from '../../src/resources/format.ts';
import type { ResourceView } from '../../src/resources/controller.ts';

const now = new Date('2026-01-02T00:00:00Z');
const view = (name: string, ready: 'True' | 'False', reason: string, created: string): ResourceView => ({
  apiVersion: 'haproxy-operator.io/v1alpha1',
  kind: 'Domain',
  metadata: { name, generation: 2, creationTimestamp: created, annotations: {} },
  spec: { hosts: [`${name}.example.com`], servers: [{ address: '10.0.0.1', port: 80 }] },
  status: {
    observedGeneration: 2,
    conditions: [{ type: 'Ready', status: ready, reason, message: `${name} message`, lastTransitionTime: created, observedGeneration: 2 }],
  },
});

test('formatAge uses kubectl units', () => {
  const at = (s: number) => formatAge(new Date(now.getTime() - s * 1000), now);
  assert.deepEqual([at(5), at(119), at(600), at(3 * 3600), at(3 * 86400), at(-10)], ['5s', '119s', '10m', '3h', '3d', '0s']);
});

test('table: NAME READY REASON kind columns AGE, aligned', () => {
  const out = formatResources('Domain', [view('web', 'True', 'ServersUp', '2026-01-01T23:55:00Z'), view('shop', 'False', 'ServersDown', '2026-01-01T00:00:00Z')], 'table', { now });
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME\s+READY\s+REASON\s+HOSTS\s+SERVERS\s+AGE$/);
  assert.match(lines[1]!, /^web\s+True\s+ServersUp\s+web\.example\.com\s+1\s+5m$/);
  assert.match(lines[2]!, /^shop\s+False\s+ServersDown\s+shop\.example\.com\s+1\s+24h$/);
  assert.equal(lines[1]!.indexOf('True'), lines[0]!.indexOf('READY'));
  assert.match(formatResources('Domain', [view('web', 'False', 'ServersDown', '2026-01-01T23:55:00Z')], 'table', { now, wide: true }), /MESSAGE[\s\S]*web message/);
  assert.equal(formatResources('Issuer', [], 'table', { now }), 'No Issuer resources found.\n');
});

test('yaml and json: a List, or the object itself for a named get', () => {
  const items = [view('web', 'False', 'ServersDown', '2026-01-01T23:55:00Z')];
  const list = parse(formatResources('Domain', items, 'yaml', { now }));
  assert.equal(list.kind, 'List');
  assert.equal(list.items[0].status.conditions[0].reason, 'ServersDown');
  const one = JSON.parse(formatResources('Domain', items, 'json', { now, single: true }));
  assert.equal(one.kind, 'Domain');
  assert.equal(one.status.conditions[0].status, 'False');
});

test('apply output: every problem and "nothing was changed", or one line per resource', async () => {
  const { formatApplyResult } = await import('../../src/resources/format.ts');
  const failed = formatApplyResult({
    ok: false,
    dryRun: false,
    items: [],
    problems: [
      { file: '(input)', index: 1, resource: 'Domain/b', field: 'spec.servers.0.port', value: 70000, message: 'not a port (1-65535)' },
      { file: '(input)', index: 2, field: 'kind', value: 'Pod', message: 'not a kind (Domain, Certificate, Issuer)' },
    ],
  });
  assert.equal(
    failed,
    '(input)#1 Domain/b: spec.servers.0.port=70000: not a port (1-65535)\n(input)#2: kind="Pod": not a kind (Domain, Certificate, Issuer)\nerror: 2 problem(s); nothing was changed\n',
  );
  const ok = formatApplyResult({ ok: true, dryRun: true, problems: [], items: [{ kind: 'Domain', name: 'web', action: 'created', file: '/r/domain-web.yaml' }], plan: [{ description: 'add web.test -> pool_1', command: 'x' }] });
  assert.equal(ok, 'domain/web created (dry run) (domain-web.yaml)\n  would: add web.test -> pool_1\n');
});
