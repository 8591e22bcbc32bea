/**
 * Fault: the state directory's disk is full (a 512 KB tmpfs mounted for the
 * test; root is needed, else the test skips with the reason). A change then
 * fails with a clear error, nothing is half-written (servers.json and
 * domains.map byte for byte as before, no temp file, HAProxy not changed),
 * and once space is freed the next change succeeds and is served.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haproxyMissing, testEachHaproxy } from '../helpers/haproxy.ts';
import { get, startBackend } from '../helpers/http.ts';
import { waitFor } from '../helpers/wait.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { startFaultOperator } from './harness.ts';

function mountTmpfs(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs (${(err as Error).message.split('\n')[0]})`;
  }
}

/** Writes zeros into `file` until the disk is full; returns the bytes written. */
async function fillDisk(file: string): Promise<number> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(4096);
  let written = 0;
  try {
    for (;;) {
      try {
        written += (await handle.write(chunk)).bytesWritten;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return written;
        throw err;
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

testEachHaproxy('disk full in the state directory: clear error, nothing half-written, next change succeeds after space is freed', { skip: haproxyMissing() ?? false, timeout: 60_000 }, async (t, haproxy) => {
  const defer = deferCleanup(t);
  const mountPoint = await mkdtemp(join(tmpdir(), 'hop-diskfull-'));
  const why = mountTmpfs(mountPoint);
  if (why) {
    await rm(mountPoint, { recursive: true, force: true });
    t.skip(why);
    return;
  }
  defer(async () => {
    execFileSync('umount', ['-l', mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });
  const stateDir = join(mountPoint, 'state');
  const op = await startFaultOperator({ stateDir, haproxy });
  defer(() => op.stop());
  const a = await startBackend('a');
  defer(() => a.close());
  await op.operator.ops.addDomain({ domain: 'a.test', ip: '127.0.0.1', port: a.port });
  await waitFor(async () => (await get(op.httpPort, 'a.test')).body === 'a', { message: 'a.test served' });
  const files = ['servers.json', 'domains.map'];
  const before = await Promise.all(files.map((f) => readFile(join(stateDir, f))));

  const filler = join(mountPoint, 'filler');
  assert.ok((await fillDisk(filler)) > 0, 'the disk was filled');
  const err = await op.operator.ops.addDomain({ domain: 'b.test', ip: '127.0.0.1', port: a.port }).catch((e: unknown) => e);
  assert.ok(err instanceof Error, 'the change failed');
  assert.match(err.message, /ENOSPC|no space left/i, `a clear error: ${err.message}`);
  const after = await Promise.all(files.map((f) => readFile(join(stateDir, f))));
  for (let i = 0; i < files.length; i++) assert.ok(after[i]!.equals(before[i]!), `${files[i]} unchanged`);
  assert.deepEqual((await readdir(stateDir)).filter((n) => n.endsWith('.tmp')), [], 'no temp file left');
  assert.equal(op.operator.ops.getDomain('b.test'), undefined, 'the desired state did not take the change');
  assert.notEqual((await get(op.httpPort, 'b.test')).body, 'a', 'HAProxy did not take the change');
  assert.equal((await get(op.httpPort, 'a.test')).body, 'a', 'existing routes keep serving');

  await rm(filler);
  const ok = await op.operator.ops.addDomain({ domain: 'b.test', ip: '127.0.0.1', port: a.port });
  assert.match(ok.summary, /added b\.test/);
  await waitFor(async () => (await get(op.httpPort, 'b.test')).body === 'a', { message: 'b.test served after space was freed' });
  const saved = JSON.parse(await readFile(join(stateDir, 'servers.json'), 'utf8')) as { domains: Record<string, unknown> };
  assert.deepEqual(Object.keys(saved.domains).sort(), ['a.test', 'b.test']);
  t.diagnostic('disk-full cases: 1 failed change + 1 recovery');
});
