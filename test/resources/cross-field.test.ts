/**
 * Manifest rules across two fields, which the CRD's JSON Schema cannot
 * express, are checked when the manifest is read: a Domain's
 * rules.stripPrefix without spec.path is refused (as the label form is),
 * naming the field, and the Domain is not applied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifests } from '../../src/resources/load.ts';

const domain = (extra: string) => `apiVersion: haproxy-operator.io/v1alpha1
kind: Domain
metadata:
  name: web
spec:
  hosts: [web.example.com]
  servers: [{ address: 10.0.0.5, port: 8080 }]
${extra}`;

test('Domain rules.stripPrefix needs spec.path: refused naming the field without it, accepted with it', () => {
  const refused = parseManifests(domain('  rules: { stripPrefix: true }\n'), 'web.yaml');
  assert.equal(refused.resources.length, 0);
  assert.deepEqual(refused.problems.map((p) => [p.field, p.value]), [['spec.rules.stripPrefix', true]]);
  assert.match(refused.problems[0]!.message, /without spec\.path/);
  const accepted = parseManifests(domain('  path: /api\n  rules: { stripPrefix: true }\n'), 'web.yaml');
  assert.deepEqual(accepted.problems, []);
  assert.equal(accepted.resources.length, 1);
});

test('a Domain listing the same server twice is refused naming the second item (it took two slots of one server)', () => {
  const twice = parseManifests(domain('').replace('servers: [{ address: 10.0.0.5, port: 8080 }]', 'servers: [{ address: 10.0.0.5, port: 8080 }, { address: 10.0.0.6, port: 8080 }, { address: 10.0.0.5, port: 8080 }]'), 'web.yaml');
  assert.equal(twice.resources.length, 0);
  assert.deepEqual(twice.problems.map((p) => [p.field, p.value]), [['spec.servers.2', '10.0.0.5:8080']]);
  assert.match(twice.problems[0]!.message, /same server as spec\.servers\.0/);
  const families = parseManifests(domain('').replace('servers: [{ address: 10.0.0.5, port: 8080 }]', 'servers: [{ address: 10.0.0.5, port: 8080 }, { address: 10.0.0.5, port: 8080, family: ssl }]'), 'web.yaml');
  assert.deepEqual(families.problems, [], 'one address in two families is two servers');
});
