#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner (through tsx) and ends
// the output with one `N passed, N failed` line, which CI reads.
// Usage: node scripts/run-tests.mjs [path-substring ...]  (test/stress/ only when named)
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { sweepStale } from './sweep-stale.mjs';

function find(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...find(path));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
// test/stress/ needs the machine to itself (it loads every core on purpose and
// asserts latency bounds): it runs only when asked for (`npm run test:stress`),
// never beside the other suites.
const STRESS = 'test/stress/';
const files = find('test').sort().filter((f) =>
  filters.length === 0 ? !f.startsWith(STRESS) : filters.some((s) => f.includes(s)) && (!f.startsWith(STRESS) || filters.some((s) => s.startsWith('test/stress'))));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
sweepStale();
const tapDir = mkdtempSync(join(tmpdir(), 'hop-tap-'));
const tapFile = join(tapDir, 'report.tap');
const concurrency = process.env.TEST_CONCURRENCY ?? '3';
const child = spawn(
  process.execPath,
  [
    '--import', 'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => {
  let passed = 0;
  let failed = 0;
  try {
    const tap = readFileSync(tapFile, 'utf8');
    passed = Number(/^# pass (\d+)$/m.exec(tap)?.[1] ?? 0);
    failed = Number(/^# fail (\d+)$/m.exec(tap)?.[1] ?? 0);
  } catch {
    failed = Math.max(failed, 1);
  }
  rmSync(tapDir, { recursive: true, force: true });
  const exitCode = code ?? (signal ? 1 : 0);
  if (exitCode !== 0 && failed === 0) failed = 1;
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(exitCode);
});
