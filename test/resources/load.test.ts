/**
 * @module The manifest loader: every bad document is reported with file,
 * document index, field path and value, and never hides the valid ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProblem, loadDirectory, parseManifests } from '../../src/resources/load.ts';
import { domainManifest } from '../helpers/manifests.ts';

const domain = (name: string, port: number | string = 80, host = `${name}.example.com`) => domainManifest({ name, port, host, address: '10.0.0.1' });

test('a multi-document file: the bad document is reported, the good ones load', () => {
  const text = [domain('a'), domain('b', 70000), domain('c')].join('---\n');
  const { resources, problems } = parseManifests(text, 'site.yaml');
  assert.deepEqual(resources.map((r) => [r.resource.metadata.name, r.index]), [['a', 0], ['c', 2]]);
  assert.deepEqual(problems, [
    { file: 'site.yaml', index: 1, resource: 'Domain/b', field: 'spec.servers.0.port', value: 70000, message: 'not a port (1-65535)' },
  ]);
  assert.equal(formatProblem(problems[0]!), 'site.yaml#1 Domain/b: spec.servers.0.port=70000: not a port (1-65535)');
});

const cases: Array<{ desc: string; text: string; field: string; value: unknown }> = [
  { desc: 'unknown kind', text: 'apiVersion: haproxy-operator.io/v1alpha1\nkind: Pod\nmetadata: {name: x}\n', field: 'kind', value: 'Pod' },
  { desc: 'foreign apiVersion', text: 'apiVersion: v1\nkind: Domain\n', field: 'apiVersion', value: 'v1' },
  { desc: 'a list instead of a mapping', text: '- a\n- b\n', field: '(document)', value: ['a', 'b'] },
  { desc: 'YAML syntax error', text: 'kind: Domain\n  bad: [\n', field: '(yaml)', value: undefined },
  { desc: 'bad host', text: domain('h', 80, '"bad host"'), field: 'spec.hosts.0', value: 'bad host' },
];
for (const c of cases) {
  test(`reports ${c.desc} at ${c.field}`, () => {
    const { resources, problems } = parseManifests(c.text, 'f.yaml');
    assert.equal(resources.length, 0);
    assert.equal(problems[0]?.field, c.field);
    assert.deepEqual(problems[0]?.value, c.value);
    assert.equal(problems[0]?.file, 'f.yaml');
    assert.equal(problems[0]?.index, 0);
  });
}

test('empty documents and comment-only files are not problems', () => {
  assert.deepEqual(parseManifests('# nothing here\n', 'e.yaml'), { resources: [], problems: [] });
  const { resources, problems } = parseManifests(`---\n${domain('a')}---\n`, 'e.yaml');
  assert.equal(resources.length, 1);
  assert.deepEqual(problems, []);
});

test('an inline token is reported by field, its value never shown', () => {
  const text = `apiVersion: haproxy-operator.io/v1alpha1
kind: Issuer
metadata: {name: le}
spec:
  acme:
    server: letsencrypt
    email: a@example.com
    solver: {dns01: {cloudflare: {apiTokenRef: {env: CF}, apiToken: SECRET-VALUE-123}}}
`;
  const { problems } = parseManifests(text, 'i.yaml');
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.field, 'spec.acme.solver.dns01.cloudflare.apiToken');
  assert.match(problems[0]!.message, /never given inline/);
  assert.ok(!formatProblem(problems[0]!).includes('SECRET-VALUE'), formatProblem(problems[0]!));
  const misplaced = parseManifests(text.replace('{apiTokenRef: {env: CF}, apiToken: SECRET-VALUE-123}', 'SECRET-VALUE-123'), 'i.yaml');
  assert.ok(!JSON.stringify(misplaced.problems).includes('SECRET-VALUE'), JSON.stringify(misplaced.problems));
});

test('loadDirectory: yaml and yml files in name order, dotfiles and others ignored, duplicates rejected on the later file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-load-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'a.yaml'), domain('web'));
  await writeFile(join(dir, 'b.yml'), `${domain('api')}---\n${domain('web', 81)}`);
  await writeFile(join(dir, 'c.yaml'), domain('bad', '"80"'));
  await writeFile(join(dir, '.hidden.yaml'), domain('hidden'));
  await writeFile(join(dir, 'notes.txt'), 'not yaml: [');
  const { resources, problems } = await loadDirectory(dir);
  assert.deepEqual(resources.map((r) => r.resource.metadata.name), ['web', 'api']);
  assert.equal(resources[0]!.file, join(dir, 'a.yaml'));
  assert.equal(problems.length, 2);
  assert.deepEqual([problems[0]!.file, problems[0]!.index, problems[0]!.field], [join(dir, 'c.yaml'), 0, 'spec.servers.0.port']);
  assert.equal(problems[0]!.value, '80');
  assert.deepEqual([problems[1]!.file, problems[1]!.index, problems[1]!.resource], [join(dir, 'b.yml'), 1, 'Domain/web']);
  assert.match(problems[1]!.message, /duplicate: Domain\/web is already defined in .*a\.yaml \(document 0\)/);
});
