/**
 * Bad rule values are refused naming the field and the value, through every
 * source: container labels (the container is skipped, every problem listed),
 * a Domain manifest (the manifest is invalid), and MCP haproxy_set_rules
 * (an error result; the Runtime API sees nothing, servers.json is unchanged).
 * Also what valid labels decode to, and the commands' own argument checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { decodeLabels, formatLabelProblem } from '../../src/podman/labels.ts';
import { formatProblem, parseManifests } from '../../src/resources/load.ts';
import { commands } from '../../src/haproxy/commands.ts';
import { describeAction } from '../../src/operations/describe.ts';
import { encodeValue } from '../../src/model/rules.ts';
import { domainManifest } from '../helpers/manifests.ts';
import { startRecordingOps } from '../fuzz/recording-ops.ts';
import { createFakeAdmin } from '../mcp/fake-ops.ts';
import { connectInMemory, textOf } from '../mcp/harness.ts';

test('labels: each bad rule label is named with its value, all at once; the container is not routed', () => {
  const got = decodeLabels({
    'haproxy.domain': 'a.test',
    'haproxy.hsts': 'max-age=abc',
    'haproxy.header.X-Powered-By': 'me',
    'haproxy.header.x-frame-options': ' ',
    'haproxy.redirect-https': 'yes',
    'haproxy.redirect-to': 'not a host',
    'haproxy.strip-prefix': 'true',
  });
  assert.equal(got.kind, 'invalid');
  if (got.kind !== 'invalid') return;
  const lines = got.problems.map((p) => formatLabelProblem('web-1', p));
  for (const [label, value] of [
    ['haproxy.hsts', 'max-age=abc'],
    ['haproxy.header.X-Powered-By', 'me'],
    ['haproxy.header.x-frame-options', ' '],
    ['haproxy.redirect-https', 'yes'],
    ['haproxy.redirect-to', 'not a host'],
    ['haproxy.strip-prefix', 'true'],
  ]) {
    assert.ok(lines.some((l) => l.startsWith(`container web-1: label ${label}=${JSON.stringify(value)}: `)), `${label}=${value} named in ${lines.join('\n')}`);
  }
  assert.ok(lines.some((l) => l.includes('X-Powered-By') && l.includes('not an allowed response header')));
  assert.ok(lines.some((l) => l.includes('haproxy.strip-prefix') && l.includes('needs haproxy.path')));
});

test('labels: valid rule labels decode to the rules model (header names in any case, 301/308 on redirect-https)', () => {
  const got = decodeLabels({
    'haproxy.domain': 'a.test',
    'haproxy.path': '/api/',
    'haproxy.strip-prefix': 'true',
    'haproxy.header.x-frame-options': 'DENY',
    'haproxy.redirect-https': '301',
    'haproxy.hsts': 'max-age=600',
  });
  assert.deepEqual(got, {
    kind: 'valid',
    config: {
      domains: ['a.test'],
      port: 80,
      address: 'container',
      path: '/api',
      rules: { redirectHttps: true, redirectCode: 301, hsts: 'max-age=600', headers: { 'X-Frame-Options': 'DENY' }, stripPrefix: true },
    },
  });
});

test('manifest: bad spec.rules and spec.path values are named with their values', () => {
  const text = domainManifest({ name: 'web', extra: '  path: /a b\n  rules:\n    hsts: max-age=abc\n    redirectCode: 302\n    headers:\n      X-Powered-By: me\n' });
  const problems = parseManifests(text, 'web.yaml').problems.map(formatProblem);
  assert.ok(problems.includes('web.yaml#0 Domain/web: spec.path="/a b": not a path prefix (/ then up to 8 segments of letters, digits, . _ ~ % @ + -, no trailing /)'), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('web.yaml#0 Domain/web: spec.rules.hsts="max-age=abc": not an HSTS value')), problems.join('\n'));
  assert.ok(problems.includes('web.yaml#0 Domain/web: spec.rules.redirectCode=302: not a redirect status (301 or 308)'), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('web.yaml#0 Domain/web: spec.rules.headers.X-Powered-By')), problems.join('\n'));
});

test('MCP haproxy_set_rules: bad values are errors naming field and value; nothing reaches HAProxy or servers.json; a valid call does', async (t) => {
  const rec = await startRecordingOps();
  const mcp = await connectInMemory({ ops: rec.ops, admin: createFakeAdmin(), logger: pino({ level: 'silent' }) });
  t.after(async () => {
    await mcp.close();
    await rec.close();
  });
  const before = await rec.serversBytes();
  // Each bad value, and what the error must say: the field and the value (an unknown header: its name).
  const cases: Array<[rules: unknown, expect: string]> = [
    [{ hsts: 'max-age=abc' }, 'rules.hsts="max-age=abc"'],
    [{ headers: { 'X-Powered-By': 'me' } }, '"X-Powered-By"'],
    [{ redirectTo: 'bad host' }, 'rules.redirectTo="bad host"'],
    [{ redirectCode: 302 }, 'rules.redirectCode=302'],
    [{ headers: { 'X-Frame-Options': 'a\nb' } }, 'rules.headers.X-Frame-Options="a\\nb"'],
  ];
  for (const [rules, expect] of cases) {
    const result = await mcp.client.callTool({ name: 'haproxy_set_rules', arguments: { domain: 'a.test', rules } });
    const text = textOf(result);
    assert.equal(result.isError, true, `${JSON.stringify(rules)} accepted: ${text}`);
    assert.ok(text.includes(expect), `${JSON.stringify(rules)}: ${text}`);
  }
  assert.equal(rec.mutating().length, 0, 'the Runtime API saw no change');
  assert.ok((await rec.serversBytes()).equals(before), 'servers.json unchanged');

  const ok = await mcp.client.callTool({ name: 'haproxy_set_rules', arguments: { domain: 'a.test', rules: { redirectHttps: true } } });
  assert.notEqual(ok.isError, true, textOf(ok));
  assert.match(textOf(ok), /^rules of a\.test -> redirect-https: plain HTTP gets 308 to https:\/\//);
  assert.ok(textOf(ok).length < 200, 'a one-line answer');
  assert.ok(rec.mutating().some((l) => /^add map \S+\/rules\.map a\.test:redirect-https 308$/.test(l)), rec.mutating().join(' | '));
});

test('commands: rule map entries are checked against their map before they reach the socket', () => {
  assert.equal(commands.addRule('/s/rules.map', 'hsts', 'a.test:hsts', 'bWF4LWFnZT0x'), 'add map /s/rules.map a.test:hsts bWF4LWFnZT0x');
  assert.equal(commands.addRule('/s/paths.map', 'paths', 'a.test/api/', 'pool_3'), 'add map /s/paths.map a.test/api/ pool_3');
  assert.throws(() => commands.addRule('/s/rules.map', 'nope', 'a.test:nope', '1'), /map="nope": not a rule map/);
  assert.throws(() => commands.addRule('/s/rules.map', 'hsts', 'a.test:hsts', 'max-age=1; x'), /hsts value="max-age=1; x"/);
  assert.throws(() => commands.setRule('/s/rules.map', 'redirect-https', 'a.test;show info:redirect-https', '308'), /redirect-https key=/);
  assert.throws(() => commands.delRule('/s/paths.map', 'paths', 'a.test/api'), /paths key="a.test\/api"/);
});

test('plans show rule values as people read them (base64 values decoded)', () => {
  assert.equal(describeAction({ kind: 'addRule', map: 'hsts', key: 'a.test:hsts', value: encodeValue('max-age=1; preload') }), 'set rule hsts of a.test:hsts to max-age=1; preload');
  assert.equal(describeAction({ kind: 'setRule', map: 'redirect-https', key: 'a.test:redirect-https', value: '301' }), 'set rule redirect-https of a.test:redirect-https to 301');
});
