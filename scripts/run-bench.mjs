#!/usr/bin/env node
// Runs every bench/*.ts (or those named on the command line) one after the
// other with tsx; each prints a table and a summary line. Not part of npm test.
// First installs what they need, as npm test does (scripts/ensure-deps.sh test),
// and for bench/peers the peers themselves (scripts/ensure-bench-deps.sh).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { sweepStale } from './sweep-stale.mjs';

sweepStale();
const wanted = process.argv.slice(2);
const all = readdirSync('bench').filter((f) => f.endsWith('.ts') && f !== 'lib.ts').map((f) => f.replace(/\.ts$/, '')).sort();
const names = wanted.length ? wanted : all;
for (const [script, ...args] of [['scripts/ensure-deps.sh', 'test'], ...(names.includes('peers') ? [['scripts/ensure-bench-deps.sh']] : [])]) {
  const r = spawnSync('sh', [script, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const summaries = [];
let failed = 0;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`no benchmark bench/${name}.ts (have: ${all.join(', ')})`);
    process.exit(2);
  }
  console.log(`\n=== bench/${name} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: 40 * 60 * 1000, killSignal: 'SIGTERM' });
  process.stdout.write(r.stdout ?? '');
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0) failed += 1;
  summaries.push(`${name}: ${r.status === 0 ? last : `failed (exit ${r.status ?? r.signal})`}`);
}
console.log('\n=== summary ===');
for (const s of summaries) console.log(s);
process.exit(failed ? 1 : 0);
