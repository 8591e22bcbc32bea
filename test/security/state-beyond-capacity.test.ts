/**
 * @module Issue 16, point 6, as the attack itself: the real operator started
 * (a child process) on a hand-edited servers.json with pool 150 of 100,
 * slot 11 of 10 and two hosts owning one slot of a shared pool refuses to
 * start, names the file, each entry and the fix, and leaves the file alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/ports.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const server = (slot: number, address: string) => ({ family: 'http', slot, address, port: 80 });

test('a servers.json beyond --pools/--slots or with two owners of a slot: the operator refuses to start and says what to fix', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-beyond-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const text = JSON.stringify({
    version: 1,
    domains: {
      'lost.example': { pool: 150, servers: [server(1, '10.0.0.1')] },
      'wide.example': { pool: 3, servers: [server(11, '10.0.0.3')] },
      example: { pool: 15, servers: [server(1, '10.0.0.15')] },
      'www.example': { pool: 15, servers: [server(1, '10.0.0.16')] },
    },
  });
  await writeFile(join(dir, 'servers.json'), text);
  const ports = [await freePort(), await freePort(), await freePort()];
  const args = ['--import', 'tsx', MAIN, 'run', '--state-dir', dir, '--pools', '100', '--slots', '10', '--listen', `127.0.0.1:${ports[0]}`, '--http-port', String(ports[1]), '--https-port', String(ports[2])];
  const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
    execFile(process.execPath, args, { timeout: 60_000 }, (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, out: stdout + stderr }));
  });
  assert.equal(result.code, 1, result.out);
  const file = join(dir, 'servers.json');
  for (const expected of [
    `${file}: 3 problem(s); nothing was started`,
    'lost.example (pool_150): beyond --pools 100',
    'Start with --pools 150 (or more)',
    'domains[\\"wide.example\\"].servers[0] (pool_3_11 10.0.0.3:80): slot 11 is beyond --slots 10',
    'pool_15_1 has two owners: example -> 10.0.0.15:80 and www.example -> 10.0.0.16:80',
  ]) {
    assert.ok(result.out.includes(expected), `missing ${JSON.stringify(expected)} in:\n${result.out}`);
  }
  assert.equal(await readFile(file, 'utf8'), text, 'servers.json is left as it was');
  assert.equal(existsSync(join(dir, 'run', 'haproxy.pids')), false, 'HAProxy was not started');
});
