/**
 * @module `export kubernetes` of the per-host rules: path routes as
 * PathPrefix rules of the host's HTTPRoute (strip-prefix: URLRewrite
 * ReplacePrefixMatch), headers and HSTS as a ResponseHeaderModifier, host
 * and HTTPS redirects as RequestRedirect (the HTTPS one on its own route on
 * port 80), 308 exported as 301 with a note, and a rule the Gateway API has
 * no filter for listed as not exported. Every object is validated against
 * @kubernetes-models/gateway-api and its references checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allNotes, buildExport, type ExportResult } from '../../src/export/build.ts';
import { domainView } from '../../src/operations/views.ts';
import type { RouteRules } from '../../src/model/rules.ts';
import { snapshot, srv } from './fixtures.ts';
import { referenceProblems, validateObject } from './validate.ts';

type Obj = any;
const route = (key: string, pool: number, port: number, rules?: RouteRules) => domainView(key, { pool, source: 'manual', servers: [srv('http', 1, '10.0.0.1', port)], ...(rules ? { rules } : {}) });

function build(domains: ReturnType<typeof route>[]): { r: ExportResult; routes: Map<string, Obj>; notes: string[] } {
  const r = buildExport(snapshot({ domains }));
  for (const o of r.objects) validateObject(o.object as Obj);
  const hosts = [...new Set(domains.map((d) => d.domain.replace(/\/.*/, '')))];
  assert.deepEqual(referenceProblems(r.objects.map((o) => o.object as Obj), hosts), []);
  const routes = new Map(r.objects.filter((o) => o.object.kind === 'HTTPRoute').map((o) => [o.object.metadata.name, o.object as Obj]));
  return { r, routes, notes: allNotes(r) };
}

test('paths, strip-prefix, headers, HSTS and the HTTPS redirect of one host', () => {
  const { routes, notes } = build([
    route('a.test', 1, 8001, { redirectHttps: true, hsts: 'max-age=600', headers: { 'X-Frame-Options': 'DENY' } }),
    route('a.test/api', 2, 8002, { stripPrefix: true }),
    route('a.test/api/v2', 3, 8003),
  ]);
  assert.deepEqual([...routes.keys()].sort(), ['a-test', 'a-test-https']);
  const serving = routes.get('a-test');
  assert.deepEqual(serving.spec.parentRefs, [{ name: 'haproxy', port: 443 }], 'the serving route is on HTTPS only');
  assert.deepEqual(serving.spec.hostnames, ['a.test']);
  const headers = { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'Strict-Transport-Security', value: 'max-age=600' }, { name: 'X-Frame-Options', value: 'DENY' }] } };
  const [v2, api, root] = serving.spec.rules;
  assert.deepEqual(v2.matches, [{ path: { type: 'PathPrefix', value: '/api/v2' } }]);
  assert.deepEqual(v2.filters, [headers]);
  assert.deepEqual(api.matches, [{ path: { type: 'PathPrefix', value: '/api' } }]);
  assert.deepEqual(api.filters, [headers, { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }]);
  assert.equal(root.matches, undefined, 'the host itself matches every other path');
  assert.deepEqual([v2, api, root].map((r: Obj) => r.backendRefs[0].port), [8003, 8002, 8001]);
  const redirect = routes.get('a-test-https');
  assert.deepEqual(redirect.spec.parentRefs, [{ name: 'haproxy', port: 80 }]);
  assert.deepEqual(redirect.spec.rules, [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }]);
  assert.ok(notes.some((n) => /HTTPS redirect of a\.test answers 308 here.*exported as 301/.test(n)), notes.join('\n'));
});

test('host redirect: a RequestRedirect to the hostname, no backends; 301 needs no note', () => {
  const { routes, notes } = build([route('b.test', 1, 8001, { redirectTo: 'www.b.test', redirectCode: 301 })]);
  assert.deepEqual(routes.get('b-test').spec.rules, [{ filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'www.b.test', statusCode: 301 } }] }]);
  assert.ok(!notes.some((n) => n.includes('308')), notes.join('\n'));
  assert.ok(notes.some((n) => n.includes('every request for b.test is redirected to www.b.test')), notes.join('\n'));
});

test('HSTS without the HTTPS redirect: one route on every listener, with a note; a rule without a Gateway filter is listed as not exported', () => {
  const rules = { hsts: 'max-age=60', allowFrom: ['10.0.0.0/8'] } as unknown as RouteRules;
  const { routes, notes } = build([route('c.test', 1, 8001, rules)]);
  assert.deepEqual(routes.get('c-test').spec.parentRefs, [{ name: 'haproxy' }]);
  assert.ok(notes.some((n) => n.includes('HSTS of c.test is also sent over plain HTTP')), notes.join('\n'));
  assert.ok(notes.some((n) => n.includes('allowFrom') && n.includes('of c.test has no Gateway API filter: not exported')), notes.join('\n'));
});

test('a host with only path routes: PathPrefix rules, and a note on the other paths', () => {
  const { routes, notes } = build([route('d.test/app', 1, 8001)]);
  assert.deepEqual(routes.get('d-test').spec.rules[0].matches, [{ path: { type: 'PathPrefix', value: '/app' } }]);
  assert.ok(notes.some((n) => n.includes('d.test has only path routes')), notes.join('\n'));
});
