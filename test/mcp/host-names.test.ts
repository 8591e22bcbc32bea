/**
 * Host names with leading or trailing whitespace or control characters are
 * refused, naming the field and the value, through the operations layer, an
 * MCP client and the CLI against a running operator (real HAProxy). Bug:
 * they were trimmed silently, so " shop.test" was routed as "shop.test".
 * Uppercase is folded to lowercase, as HAProxy folds the Host header.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../src/cli/run.ts';
import { haproxyMissing } from '../helpers/haproxy.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { captureLogger, connectInMemory, textOf } from './harness.ts';
import { startRunningOperator } from './running-operator.ts';

const skip = haproxyMissing();

test('surrounding whitespace and control characters in a host name are refused, not trimmed; uppercase is folded', { skip, timeout: 60_000 }, async (t) => {
  const defer = deferCleanup(t);
  const op = await startRunningOperator();
  defer(() => op.stop());
  const { ops, admin } = op.running.operator;
  const { client, close } = await connectInMemory({ ops, admin, logger: captureLogger().logger });
  defer(close);

  const cases: Array<[string, RegExp]> = [
    [' shop.test', /domain=" shop\.test": has leading or trailing whitespace/],
    ['shop.test ', /domain="shop\.test ": has leading or trailing whitespace/],
    ['shop.test\n', /domain="shop\.test\\n": contains a control character/],
    ['shop\t.test', /domain="shop\\t\.test": contains a control character/],
    ['shop.test\u0000', /domain="shop\.test\\u0000": contains a control character/],
  ];
  for (const [domain, message] of cases) {
    await assert.rejects(ops.addDomain({ domain, ip: '10.0.0.1' }), message, `operations: ${JSON.stringify(domain)}`);
    const r = await client.callTool({ name: 'haproxy_add_domain', arguments: { domain, ip: '10.0.0.1' } });
    assert.equal(r.isError, true);
    assert.match(textOf(r), message, `MCP: ${JSON.stringify(domain)}`);
  }
  assert.deepEqual(ops.listDomains(), [], 'nothing was routed');

  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli('explain', [' shop.test', '--listen', op.listen], { out: (l) => out.push(l), err: (l) => err.push(l) }, {});
  assert.notEqual(code, 0);
  assert.match(err.join('\n'), /host=" shop\.test": has leading or trailing whitespace/);

  const folded = await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'Shop.TEST', ip: '10.0.0.1' } });
  assert.equal(folded.isError, undefined, textOf(folded));
  assert.deepEqual(ops.listDomains().map((d) => d.domain), ['shop.test']);
});
