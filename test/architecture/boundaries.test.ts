/**
 * @module Module boundaries and file sizes, in `npm test` so in CI:
 * dependency-cruiser checks src/ against .dependency-cruiser.cjs (no cycles;
 * model/ imports nothing of ours; reconcile/ and haproxy/ only model/;
 * sources never reach haproxy/ or store/; only main.ts, operator.ts and
 * wiring/ are imported by no one else), the same rules are shown to catch a
 * planted violation of each kind, and no source file passes 400 lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');

function cruise(cwd: string): { status: number | null; output: string } {
  const r = spawnSync(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'err'], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('src/ keeps its module boundaries (dependency-cruiser)', () => {
  const r = cruise(ROOT);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /no dependency violations found/);
});

test('the boundary rules catch a planted violation of each kind', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hop-boundaries-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  const files: Record<string, string> = {
    'src/model/types.ts': "import { run } from '../haproxy/adapter.ts';\nexport const types = run;\n",
    'src/haproxy/adapter.ts': "import { save } from '../store/state-store.ts';\nexport const run = save;\n",
    'src/store/state-store.ts': 'export const save = 1;\n',
    'src/reconcile/runner.ts': "import { save } from '../store/state-store.ts';\nexport const runner = save;\n",
    'src/mcp/tool.ts': "import { run } from '../haproxy/adapter.ts';\nexport const tool = run;\n",
    'src/operations/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
    'src/operations/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
    'src/podman/watcher.ts': "import { wired } from '../wiring/run.ts';\nexport const watcher = wired;\n",
    'src/wiring/run.ts': 'export const wired = 1;\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const r = cruise(dir);
  assert.notEqual(r.status, 0, 'violations fail the check');
  for (const rule of ['model-imports-nothing-of-ours', 'haproxy-only-model', 'reconcile-only-model', 'sources-not-haproxy-or-store', 'no-circular', 'only-wiring-knows-everything']) {
    assert.match(r.output, new RegExp(`error ${rule}:`), `${rule} reported\n${r.output}`);
  }
});

test('no source, test or bench file is over 400 lines', () => {
  const long: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/\.(ts|mjs|cjs)$/.test(e.name)) {
        const lines = readFileSync(join(ROOT, path), 'utf8').split('\n').length - 1;
        if (lines > 400) long.push(`${path}: ${lines} lines`);
      }
    }
  };
  for (const dir of ['src', 'test', 'bench', 'scripts']) walk(dir);
  assert.deepEqual(long, []);
});
