/** The cert CLI functions over a stub manager: output, JSON and exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certIssueCommand, certListCommand, certRenewCommand, formatCertTable } from '../../src/acme/cli.ts';
import { normalizeRequest, type CertStatus } from '../../src/acme/manager.ts';
import { OrderBudgetError } from '../../src/acme/renewal.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const status: CertStatus = {
  name: 'a.test',
  domains: ['a.test', '*.a.test'],
  wildcard: true,
  path: '/c/a.test.pem',
  ready: true,
  notBefore: '2025-12-01T00:00:00.000Z',
  notAfter: '2026-03-01T00:00:00.000Z',
  renewAt: '2026-01-30T00:00:00.000Z',
  failures: 0,
  hotloadPending: false,
  ordersInWindow: 1,
  source: 'acme:default (tls=auto)',
  issuer: 'C=US, O=Pebble, CN=Pebble Intermediate CA 1b2c3d',
  managed: true,
};

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
}

test('list prints a table with expiry and renewal, or JSON', async () => {
  const table = formatCertTable([status], NOW);
  assert.match(table, /^NAME\s+DOMAINS\s+SOURCE\s+ISSUER\s+READY\s+EXPIRES\s+RENEW\s+ORDERS\/7D\s+LAST ERROR$/m);
  assert.match(table, /a\.test\s+a\.test,\*\.a\.test\s+acme:default \(tls=auto\)\s+Pebble Intermediate CA 1b2c3d\s+yes\s+in 59d\s+in 29d\s+1/);
  const file = formatCertTable([{ ...status, name: 'old', source: 'file', managed: false, issuer: 'CN=R3' }], NOW);
  assert.match(file, /old\s+a\.test,\*\.a\.test\s+file\s+R3\s+yes\s+in 59d\s+-\s+-/, 'an unmanaged PEM has no renewal nor orders');
  const o = io();
  assert.equal(await certListCommand({ list: async () => [status] }, { json: true }, o.io), 0);
  assert.deepEqual(JSON.parse(o.out[0]!), [status]);
});

test('issue validates input (exit 2) and reports errors (exit 1)', async () => {
  const o = io();
  const mgr = { issue: async (r: { domain: string; wildcard?: boolean }) => (normalizeRequest(r), { name: 'a.test', action: 'issued' as const, hotloaded: true, status }) };
  assert.equal(await certIssueCommand(mgr, { domain: '*.a.test' }, o.io), 0);
  assert.match(o.out[0]!, /a\.test: issued \(a\.test, \*\.a\.test\), expires 2026-03-01.*served by HAProxy now/);
  assert.equal(await certIssueCommand(mgr, { domain: 'bad domain' }, o.io), 2);
  assert.match(o.err[0]!, /error: domain="bad domain": not a host name/);
  const budget = { renew: async () => { throw new OrderBudgetError('certificate a.test: order budget spent'); }, checkRenewals: async () => [] };
  assert.equal(await certRenewCommand(budget, { domain: 'a.test', force: true }, o.io), 1);
  assert.match(o.err[1]!, /order budget spent/);
  assert.equal(await certRenewCommand(budget, {}, o.io), 2);
});

test('renew --all runs the check and fails when one renewal failed', async () => {
  const o = io();
  const mgr = { renew: async () => { throw new Error('unused'); }, checkRenewals: async () => [{ name: 'a.test', action: 'not-due' as const }, { name: 'b.test', action: 'failed' as const, error: 'boom' }] };
  assert.equal(await certRenewCommand(mgr, { all: true }, o.io), 1);
  assert.deepEqual(o.out, ['a.test: not-due', 'b.test: failed: boom']);
});

test('request normalisation: *.x means x + wildcard; bad names name the field', () => {
  assert.deepEqual(normalizeRequest('*.A.Test.'), { domain: 'a.test', wildcard: true });
  assert.deepEqual(normalizeRequest({ domain: 'a.test', wildcard: false }), { domain: 'a.test', wildcard: false });
  assert.throws(() => normalizeRequest('localhost'), /domain="localhost": not a host name with at least two labels/);
  assert.throws(() => normalizeRequest({ domain: 'a.test', renewBeforeMs: -1 }), /renewBeforeMs=-1/);
});
