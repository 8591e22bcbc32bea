/**
 * A part that is down makes /readyz answer 503 naming it, shows as 0 in
 * haproxy_operator_part_up, is logged at warn once when it goes down and
 * at info when it recovers (real operator process, real HAProxy):
 *  - the resources directory disappears, then comes back;
 *  - HAProxy's Runtime API stops answering (worker frozen with SIGSTOP).
 * The warn-repeat interval is covered with a fake clock in health.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { haproxyMissing, testEachHaproxy } from '../helpers/haproxy.ts';
import { waitFor } from '../helpers/wait.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { createOperatorRun } from './harness.ts';

testEachHaproxy('resources directory gone, HAProxy not answering: /readyz 503 naming the part, metric 0, warn then info', { skip: haproxyMissing() ?? false, timeout: 90_000 }, async (t, haproxy) => {
  const defer = deferCleanup(t);
  const run = await createOperatorRun({ flags: { containers: 'false', 'haproxy-bin': haproxy.bin } });
  defer(() => run.cleanup());
  const resources = join(run.stateDir, 'resources');
  await mkdir(resources);
  const op = run.start({ 'resources-dir': resources });
  await op.ready();
  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${run.listen}/readyz`);
    return { status: res.status, body: (await res.text()).trim() };
  };
  const partUp = async (part: string) => {
    const text = await (await fetch(`http://127.0.0.1:${run.listen}/metrics`)).text();
    return new RegExp(`haproxy_operator_part_up\\{part="${part}"\\} (\\d)`).exec(text)?.[1];
  };
  assert.equal(await partUp('resources'), '1');

  await rename(resources, `${resources}.away`);
  const down = await waitFor(async () => ((await readyz()).status === 503 ? readyz() : undefined), { timeoutMs: 10_000, message: '/readyz 503 without the resources directory' });
  assert.match(down.body, /^not ready: resources: resources directory .* unreadable \(ENOENT\)$/);
  assert.equal(await partUp('resources'), '0');
  await rename(`${resources}.away`, resources);
  await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 10_000, message: 'ready again with the directory back' });

  const [, worker] = (await readFile(join(run.stateDir, 'run', 'haproxy.pids'), 'utf8')).split(/\s+/).map(Number);
  process.kill(worker!, 'SIGSTOP');
  defer(() => {
    try {
      process.kill(worker!, 'SIGCONT');
    } catch {
      // gone
    }
  });
  const hdown = await waitFor(async () => {
    const r = await readyz();
    return r.status === 503 ? r : undefined;
  }, { timeoutMs: 20_000, message: '/readyz 503 while HAProxy does not answer' });
  assert.match(hdown.body, /^not ready: haproxy: Runtime API 127\.0\.0\.1:\d+ not answering/);
  process.kill(worker!, 'SIGCONT');
  await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 20_000, message: 'ready again once HAProxy answers' });

  // /readyz answers from the part's state; its log line reaches our pipe a moment later.
  const logLines = () => op.stderr().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string });
  await waitFor(() => logLines().some((l) => l.msg === 'haproxy recovered'), { timeoutMs: 5_000, message: 'the recovery logged' });
  const lines = logLines();
  for (const part of ['resources', 'haproxy']) {
    assert.equal(lines.filter((l) => l.level === 40 && l.msg.startsWith(`${part} is down`)).length, 1, `${part}: one warning when it went down`);
    assert.equal(lines.filter((l) => l.level === 30 && l.msg === `${part} recovered`).length, 1, `${part}: recovery at info`);
  }
  t.diagnostic(`${down.body} | ${hdown.body}`);
});
