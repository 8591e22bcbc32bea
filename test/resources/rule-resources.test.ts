/**
 * @module Domain resources with rules and paths against a real HAProxy
 * (2.6 and 3.0): spec.rules (HTTPS redirect, headers) and a second Domain
 * with spec.path + rules.stripPrefix on the same host are applied from YAML
 * through the resources controller with no reload, both Domains become
 * Ready; a Domain with a bad rule value is refused naming the field and the
 * value, and what was routed stays as it was.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { haproxyMissing, startTestOperator, testEachHaproxy } from '../helpers/haproxy.ts';
import { get, startBackend } from '../helpers/http.ts';
import { waitFor } from '../helpers/wait.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { domainManifest } from '../helpers/manifests.ts';
import { createResourceController } from '../../src/resources/controller.ts';
import { formatProblem } from '../../src/resources/load.ts';
import { getCondition } from '../../src/model/conditions.ts';

testEachHaproxy('Domain spec.rules and spec.path drive a real HAProxy without reloads', { skip: haproxyMissing() ?? false, timeout: 60_000 }, async (t, haproxy) => {
  const defer = deferCleanup(t);
  const [site, api] = [await startBackend('site', 0, { echoUrl: true }), await startBackend('api', 0, { echoUrl: true })];
  defer(() => site.close());
  defer(() => api.close());
  const h = await startTestOperator({ pools: 5, haproxy });
  defer(() => h.stop());
  const dir = await mkdtemp(join(tmpdir(), 'hop-rules-res-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const controller = createResourceController({ dir, stateDir: h.stateDir, ops: h.operator.ops, logger: pino({ level: 'silent' }), debounceMs: 50, resyncMs: 0 });
  defer(() => controller.stop());
  await controller.start();
  const pid = await h.workerPid();

  const siteYaml = domainManifest({ name: 'site', host: 'res.test', port: site.port, extra: '  rules:\n    redirectHttps: true\n    headers: {X-Content-Type-Options: nosniff}\n' });
  const apiYaml = domainManifest({ name: 'api', host: 'res.test', port: api.port, extra: '  path: /api\n  rules: {stripPrefix: true}\n' });
  const applied = await controller.applyDocuments(`${siteYaml}---\n${apiYaml}`);
  assert.equal(applied.ok, true, JSON.stringify(applied.problems));

  const redirect = await get(h.httpPort, 'res.test', '/a?b=1');
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.location, `https://res.test:${h.httpsPort}/a?b=1`);
  const tls = await get(h.httpsPort, 'res.test', '/api/users?id=1', { tls: true });
  assert.equal(tls.body, 'api /users?id=1', 'the path Domain, prefix stripped');
  assert.equal(tls.headers['x-content-type-options'], 'nosniff', "the host's header rule");
  assert.equal((await get(h.httpsPort, 'res.test', '/other', { tls: true })).body, 'site /other');
  for (const name of ['site', 'api']) {
    await waitFor(
      async () => {
        await controller.reconcile();
        return getCondition(controller.get('Domain', name)!.status.conditions, 'Ready')?.status === 'True';
      },
      { timeoutMs: 5000, message: `Domain ${name} Ready=True` },
    );
  }

  const bad = await controller.applyDocuments(domainManifest({ name: 'site', host: 'res.test', port: site.port, extra: '  rules:\n    hsts: max-age=forever\n' }));
  assert.equal(bad.ok, false);
  assert.ok(
    bad.problems.map(formatProblem).some((p) => p.includes('spec.rules.hsts="max-age=forever": not an HSTS value')),
    bad.problems.map(formatProblem).join('\n'),
  );
  assert.equal((await get(h.httpPort, 'res.test', '/a')).status, 308, 'the refused edit changed nothing');
  assert.equal(await h.workerPid(), pid, 'no reload');
});
