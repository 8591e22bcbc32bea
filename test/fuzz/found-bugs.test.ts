/**
 * Bugs found by the fuzz suites. (1) MCP arguments: numeric arguments were read with
 * z.coerce.number, so `slot: true` meant slot 1 (haproxy_remove_server
 * emptied it), `weight: null`, `''` or `[]` meant weight 0 (the server left
 * load balancing) and `port: [80]` meant 80; and showValue printed NaN and
 * Infinity as `null`, so the error named the wrong value. Now only numbers
 * and strings of ASCII digits are numbers, and errors show NaN/Infinity.
 * (2) Manifests: an invalid metadata.name was copied whole into the
 * problem's resource (100 KB, or a line break) instead of a bounded quote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Port, Weight } from '../../src/model/names.ts';
import { showValue, ValidationError } from '../../src/model/errors.ts';
import { slotArg as slotSchema } from '../../src/model/operations.ts';
import { startRecordingOps } from './recording-ops.ts';

test('wrong JSON types are not numbers: true, false, null, empty string, arrays, objects', () => {
  for (const schema of [Port, Weight, slotSchema(10)]) {
    for (const bad of [true, false, null, '', ' ', [], [80], ['1'], {}, '2\ufeff', '\u00a02', '0x50', '1e2', ' 80 ']) {
      assert.equal(schema.safeParse(bad).success, false, `${JSON.stringify(bad)} accepted`);
    }
  }
  assert.equal(Port.parse(8080), 8080);
  assert.equal(Port.parse('8080'), 8080, 'label values are strings of digits');
  assert.equal(Weight.parse('0'), 0);
  assert.equal(Weight.parse(0), 0);
  assert.equal(slotSchema(10).parse('3'), 3);
});

test('showValue names NaN and Infinity instead of null', () => {
  assert.equal(showValue(Number.NaN), 'NaN');
  assert.equal(showValue(Number.POSITIVE_INFINITY), 'Infinity');
  assert.equal(showValue(Number.NEGATIVE_INFINITY), '-Infinity');
  assert.equal(showValue(-0), '0');
  assert.equal(showValue(80), '80');
  assert.equal(new ValidationError('port', Number.NaN, 'not a port').message, 'port=NaN: not a port');
});

test('operations: slot true and weight null are refused, nothing sent, nothing written', async (t) => {
  const rec = await startRecordingOps();
  t.after(() => rec.close());
  const before = await rec.serversBytes();
  await assert.rejects(rec.ops.removeServer({ domain: 'a.test', slot: true as never }), /slot=true: not a slot \(1-10\)/);
  await assert.rejects(rec.ops.setServerWeight({ domain: 'a.test', slot: 1, weight: null as never }), /weight=null: not a weight \(0-256\)/);
  await assert.rejects(rec.ops.addDomain({ domain: 'b.test', ip: '10.0.0.2', port: [80] as never }), /port=\[80\]: not a port/);
  assert.equal(rec.fake.bytesReceived(), 0);
  assert.ok((await rec.serversBytes()).equals(before));
  assert.equal(rec.ops.getDomain('a.test')?.servers.length, 1, 'slot 1 still there');
});

test('bug: a manifest with a 100 KB or multi-line metadata.name gave a problem message that copied the whole name', async () => {
  const { parseManifests, formatProblem } = await import('../../src/resources/load.ts');
  for (const name of ['web' + 'a'.repeat(100_000), 'web\nInjected: line']) {
    const text = `apiVersion: haproxy-operator.io/v1alpha1\nkind: Domain\nmetadata:\n  name: ${JSON.stringify(name)}\nspec:\n  hosts: [web.example.com]\n  servers: [{ address: 10.0.0.5, port: 8080 }]\n`;
    const { problems } = parseManifests(text, 'x.yaml');
    const p = problems.find((q) => q.field === 'metadata.name');
    assert.ok(p, 'metadata.name is a problem');
    const message = formatProblem(p);
    assert.ok(message.length < 400, `bounded: ${message.length} chars`);
    assert.ok(!message.includes('\n'), 'one line');
    assert.ok(message.includes(JSON.stringify(name).slice(0, 60)), message);
  }
});
