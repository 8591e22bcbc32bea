/**
 * @module Label decoding: valid configs, every problem reported with field,
 * value and hint, and the did-you-mean distance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLabels, editDistance, formatLabelProblem, LabelError, suggestLabel, type LabelDecision } from '../../src/podman/labels.ts';
import { KNOWN_LABELS } from '../../src/podman/label-keys.ts';

const valid: Array<{ desc: string; labels: Record<string, string>; want: LabelDecision }> = [
  { desc: 'no haproxy labels', labels: { 'io.podman.x': '1' }, want: { kind: 'unlabelled' } },
  { desc: 'null labels (Podman list)', labels: null as never, want: { kind: 'unlabelled' } },
  { desc: 'disabled even with other labels', labels: { 'haproxy.domain': 'a.test', 'haproxy.enable': 'false' }, want: { kind: 'disabled' } },
  {
    desc: 'domain only: defaults',
    labels: { 'haproxy.domain': 'App.Example.com' },
    want: { kind: 'valid', config: { domains: ['app.example.com'], port: 80, address: 'container' } },
  },
  {
    desc: 'several hosts, spaces and duplicates',
    labels: { 'haproxy.domain': ' a.test, b.test ,a.test,' },
    want: { kind: 'valid', config: { domains: ['a.test', 'b.test'], port: 80, address: 'container' } },
  },
  {
    desc: 'every label',
    labels: {
      'haproxy.domain': 'a.test',
      'haproxy.port': '8080',
      'haproxy.weight': '0',
      'haproxy.network': 'podman',
      'haproxy.address': 'published',
      'haproxy.tls': 'auto',
      'haproxy.check': '/healthz',
      'haproxy.enable': 'true',
      other: 'ignored',
    },
    want: {
      kind: 'valid',
      config: { domains: ['a.test'], port: 8080, weight: 0, network: 'podman', address: 'published', tls: 'auto', check: '/healthz' },
    },
  },
];

for (const c of valid) {
  test(`decodeLabels: ${c.desc}`, () => {
    assert.deepEqual(decodeLabels(c.labels), c.want);
  });
}

const invalid: Array<{ desc: string; labels: Record<string, string>; want: string[] }> = [
  {
    desc: 'typo in a key gets a hint',
    labels: { 'haproxy.domain': 'a.test', 'haproxy.prot': '8080' },
    want: ['container web-1: label haproxy.prot="8080": unknown label; did you mean haproxy.port?'],
  },
  {
    desc: 'non-numeric port',
    labels: { 'haproxy.domain': 'a.test', 'haproxy.port': 'abc' },
    want: ['container web-1: label haproxy.port="abc": not a port (1-65535)'],
  },
  {
    desc: 'port out of range',
    labels: { 'haproxy.domain': 'a.test', 'haproxy.port': '70000' },
    want: ['container web-1: label haproxy.port="70000": not a port (1-65535)'],
  },
  {
    desc: 'host with a space, among several',
    labels: { 'haproxy.domain': 'a.test,b c.test' },
    want: ['container web-1: label haproxy.domain="a.test,b c.test": "b c.test" is not a valid host name (letters, digits, hyphens and dots; no port, no spaces)'],
  },
  {
    desc: 'missing domain',
    labels: { 'haproxy.port': '80' },
    want: ['container web-1: label haproxy.domain: required: set it to the host name(s) to route, comma separated'],
  },
  {
    desc: 'empty domain',
    labels: { 'haproxy.domain': ' , ' },
    want: ['container web-1: label haproxy.domain=" , ": no host name given'],
  },
  {
    desc: 'every error at once, known keys first',
    labels: { 'haproxy.domian': 'a.test', 'haproxy.weight': '999', 'haproxy.check': 'healthz', 'haproxy.address': 'host', 'haproxy.zzz': '1' },
    want: [
      'container web-1: label haproxy.domain: required: set it to the host name(s) to route, comma separated',
      'container web-1: label haproxy.weight="999": not a weight (0-256)',
      'container web-1: label haproxy.address="host": not an address mode (container or published)',
      'container web-1: label haproxy.check="healthz": not an HTTP path (starts with /, printable ASCII, no spaces)',
      'container web-1: label haproxy.domian="a.test": unknown label; did you mean haproxy.domain?',
      `container web-1: label haproxy.zzz="1": unknown label; known labels: ${KNOWN_LABELS.join(', ')}`,
    ],
  },
  {
    desc: 'bad enable value',
    labels: { 'haproxy.domain': 'a.test', 'haproxy.enable': 'no' },
    want: ['container web-1: label haproxy.enable="no": not a boolean (true or false)'],
  },
  {
    desc: 'check path with a character HAProxy would interpret',
    labels: { 'haproxy.domain': 'a.test', 'haproxy.check': '/a;b' },
    want: ["container web-1: label haproxy.check=\"/a;b\": contains a character HAProxy would interpret (; \" ' \\ #)"],
  },
  {
    desc: 'network name with a space',
    labels: { 'haproxy.domain': 'a.test', 'haproxy.network': 'my net' },
    want: ['container web-1: label haproxy.network="my net": not a network name (letters, digits, _ . -)'],
  },
];

for (const c of invalid) {
  test(`decodeLabels rejects: ${c.desc}`, () => {
    const got = decodeLabels(c.labels);
    assert.equal(got.kind, 'invalid');
    if (got.kind !== 'invalid') return;
    assert.deepEqual(got.problems.map((p) => formatLabelProblem('web-1', p)), c.want);
  });
}

test('LabelError joins every problem and keeps them structured', () => {
  const got = decodeLabels({ 'haproxy.domain': 'a.test', 'haproxy.port': 'x', 'haproxy.wieght': '2' });
  assert.equal(got.kind, 'invalid');
  if (got.kind !== 'invalid') return;
  const err = new LabelError('web-1', got.problems);
  assert.equal(err.name, 'LabelError');
  assert.equal(err.problems.length, 2);
  assert.match(err.message, /haproxy\.port="x": not a port/);
  assert.match(err.message, /did you mean haproxy\.weight\?/);
});

const distances: Array<[string, string, number]> = [
  ['port', 'port', 0],
  ['prot', 'port', 1],
  ['por', 'port', 1],
  ['domian', 'domain', 1],
  ['weigth', 'weight', 1],
  ['kitten', 'sitting', 3],
  ['', 'abc', 3],
];
for (const [a, b, want] of distances) {
  test(`editDistance(${a}, ${b}) = ${want}`, () => assert.equal(editDistance(a, b), want));
}

test('suggestLabel: close keys only', () => {
  assert.equal(suggestLabel('haproxy.HEALTH'), undefined);
  assert.equal(suggestLabel('haproxy.Port'), 'haproxy.port');
  assert.equal(suggestLabel('haproxy.chek'), 'haproxy.check');
  assert.equal(suggestLabel('haproxy.tsl'), 'haproxy.tls');
});
