/**
 * The runners' sweep of what killed runs left: a HAProxy process on a temp
 * path, a container with the test label and a temp dir, all past the age
 * limit, are removed; younger ones are kept (a run beside this one). The
 * sweep is scoped to this test's own prefix and label so it cannot touch
 * anything else running now.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { podmanSkipReason, startPodmanHarness, TEST_LABEL } from '../helpers/podman.ts';
import { waitFor } from '../helpers/wait.ts';
// @ts-expect-error: a plain .mjs script without types
import { sweepStale } from '../../scripts/sweep-stale.mjs';

type Swept = { pids: number[]; ids: string[]; dirs: string[] };
const sweep = sweepStale as (opts: { prefix: string; label: string; staleMs: number; quiet: boolean }) => Swept;

test('stale HAProxy, container and temp dir are swept; young ones are kept', { skip: (await podmanSkipReason()) ?? false, timeout: 60_000 }, async (t) => {
  const prefix = join(tmpdir(), `hop-sweeptest-${randomBytes(4).toString('hex')}-`);
  const dir = await mkdtemp(prefix);
  t.after(() => rm(dir, { recursive: true, force: true }));
  // A stand-in HAProxy: a process named haproxy whose command line is on the temp path, as a test's is.
  const bin = join(dir, 'haproxy');
  await copyFile('/bin/sleep', bin);
  const proc = spawn(bin, ['300'], { stdio: 'ignore' });
  t.after(() => proc.kill('SIGKILL'));
  const h = await startPodmanHarness();
  t.after(() => h.cleanup());
  const c = await h.run({ createOnly: true });
  const label = `${TEST_LABEL}=${h.runId}`;

  const young = sweep({ prefix, label, staleMs: 60 * 60 * 1000, quiet: true });
  assert.deepEqual(young, { pids: [], ids: [], dirs: [] }, 'nothing an hour old: everything kept');
  assert.equal(proc.exitCode, null);

  const exited = once(proc, 'exit');
  const swept = sweep({ prefix, label, staleMs: 0, quiet: true });
  assert.deepEqual(swept.pids, [proc.pid]);
  assert.deepEqual(swept.ids.map((id) => c.id.startsWith(id)), [true]);
  assert.deepEqual(swept.dirs, [dir]);
  await exited;
  assert.equal(existsSync(dir), false);
  await waitFor(async () => !(await h.podman(['ps', '-aq', '--filter', `label=${label}`])).trim(), { timeoutMs: 10_000, message: 'the container removed' });
});
