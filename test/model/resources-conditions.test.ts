/**
 * @module setCondition follows cert-manager: replace by type, move
 * lastTransitionTime only when the status flips, record observedGeneration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getCondition, isConditionTrue, removeCondition, setCondition, type Condition } from '../../src/model/conditions.ts';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:05:00Z');
const t2 = new Date('2026-01-01T00:09:00Z');

test('a new condition gets now as lastTransitionTime', () => {
  const out = setCondition([], { type: 'Ready', status: 'True', reason: 'ServersUp', message: '1/1', observedGeneration: 1 }, t0);
  assert.deepEqual(out, [{ type: 'Ready', status: 'True', reason: 'ServersUp', message: '1/1', observedGeneration: 1, lastTransitionTime: t0.toISOString() }]);
});

test('same status keeps lastTransitionTime but takes the new reason, message and generation', () => {
  const a = setCondition([], { type: 'Ready', status: 'False', reason: 'ServersDown', message: 'x down', observedGeneration: 1 }, t0);
  const b = setCondition(a, { type: 'Ready', status: 'False', reason: 'PoolFull', message: 'full', observedGeneration: 2 }, t1);
  assert.equal(b[0]!.lastTransitionTime, t0.toISOString());
  assert.equal(b[0]!.reason, 'PoolFull');
  assert.equal(b[0]!.observedGeneration, 2);
  assert.equal(a[0]!.reason, 'ServersDown', 'input list not modified');
});

test('a status flip moves lastTransitionTime; other types are untouched', () => {
  let c: Condition[] = setCondition([], { type: 'Ready', status: 'False', reason: 'ServersDown', message: '' }, t0);
  c = setCondition(c, { type: 'CertificateReady', status: 'True', reason: 'Issued', message: '' }, t0);
  c = setCondition(c, { type: 'Ready', status: 'True', reason: 'ServersUp', message: '' }, t1);
  c = setCondition(c, { type: 'Ready', status: 'True', reason: 'ServersUp', message: 'again' }, t2);
  assert.equal(getCondition(c, 'Ready')!.lastTransitionTime, t1.toISOString());
  assert.equal(getCondition(c, 'CertificateReady')!.lastTransitionTime, t0.toISOString());
  assert.equal(c.length, 2);
  assert.equal(isConditionTrue(c, 'Ready'), true);
  assert.equal('observedGeneration' in getCondition(c, 'Ready')!, false);
  assert.deepEqual(removeCondition(c, 'Ready').map((x) => x.type), ['CertificateReady']);
});
