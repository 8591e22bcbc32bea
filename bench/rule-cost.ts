/**
 * bench/rule-cost: what a host's rules cost each request. One operator, one
 * backend, a host per rule set (none; response headers; an allowlist that
 * admits the client; basic auth with the right password; a rate limit
 * never reached; a path route; all of them at once). Each is loaded with
 * `wrk -c8` (loopback, bounded) in rounds that alternate with the plain
 * host, so a busy moment of the machine falls on both; reports requests/s
 * and latency, and each set's throughput as a ratio of the plain host's.
 * Every answer must be a 200 (a rule that refused the load would be
 * measuring its refusal, not its cost). The backend is a node server on the
 * same two cores: the figures are what a client sees end to end, not
 * HAProxy's CPU alone.
 */
import { spawn } from 'node:child_process';
import { startTestOperator, type TestOperator } from '../test/helpers/haproxy.ts';
import { startBackend } from '../test/helpers/http.ts';
import type { RouteRules } from '../src/model/rules.ts';
import { eachHaproxy, hasWrk, parseWrk, parseWrkLatency, table, type HaproxyVersion } from './lib.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 8;
const PASSWORD = 'bench-pw-51c2';
const AUTH = `Basic ${Buffer.from(`bench:${PASSWORD}`).toString('base64')}`;

interface RuleSet {
  name: string;
  host: string;
  path?: string;
  /** As a caller gives them (the password is hashed by the operation's parse). */
  rules?: Record<string, unknown>;
  auth?: boolean;
}

const SETS: RuleSet[] = [
  { name: 'no rules (baseline)', host: 'plain.cost.test' },
  { name: 'response headers (3)', host: 'headers.cost.test', rules: { headers: { 'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' } } },
  { name: 'allowlist (3 networks, client in one)', host: 'allow.cost.test', rules: { allow: ['10.0.0.0/8', '192.168.0.0/16', '127.0.0.0/8'] } },
  { name: 'basic auth (right password)', host: 'auth.cost.test', rules: { basicAuth: { users: [{ user: 'bench', password: PASSWORD }] } }, auth: true },
  { name: 'rate limit (never reached)', host: 'rate.cost.test', rules: { rateLimit: { rate: 100_000 } } },
  { name: 'path route /api (prefix stripped)', host: 'path.cost.test', path: '/api', rules: { stripPrefix: true } },
  {
    name: 'all of the above',
    host: 'all.cost.test',
    rules: { headers: { 'X-Frame-Options': 'DENY' }, allow: ['127.0.0.0/8'], basicAuth: { users: [{ user: 'bench', password: PASSWORD }] }, rateLimit: { rate: 100_000 } },
    auth: true,
  },
];

interface Run {
  rps: number;
  p50: number;
  p99: number;
}

async function wrk(op: TestOperator, set: RuleSet): Promise<Run> {
  const headers = ['-H', `Host: ${set.host}`, ...(set.auth ? ['-H', `Authorization: ${AUTH}`] : [])];
  const url = `http://127.0.0.1:${op.httpPort}${set.path ?? ''}/x`;
  const proc = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--timeout', '5s', '--latency', ...headers, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  if (code !== 0) throw new Error(`wrk exited ${code}: ${out.slice(0, 300)}`);
  const r = parseWrk(out);
  if (r.non2xx > 0 || r.socketErrors > 0) throw new Error(`${set.name}: ${r.non2xx} non-2xx answers and ${r.socketErrors} socket errors: the rules refused the load`);
  const lat = parseWrkLatency(out);
  return { rps: r.requests / r.seconds, p50: lat.p50Ms, p99: lat.p99Ms };
}

async function main(haproxy: HaproxyVersion): Promise<string> {
  if (!hasWrk()) throw new Error('wrk is not installed (apt-get install wrk)');
  const op = await startTestOperator({ pools: SETS.length + 2, slots: 2, haproxy });
  const backend = await startBackend('cost');
  try {
    for (const set of SETS) {
      const route = set.path ? `${set.host}${set.path}` : set.host;
      if (set.path) await op.operator.ops.addDomain({ domain: set.host, ip: '127.0.0.1', port: backend.port });
      await op.operator.ops.addDomain({ domain: route, ip: '127.0.0.1', port: backend.port });
      if (set.rules) await op.operator.ops.setRules({ domain: route, rules: set.rules as unknown as RouteRules });
    }
    const pid = await op.workerPid();
    const [base, ...others] = SETS;
    const runs = new Map<RuleSet, Run[]>(SETS.map((s) => [s, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const set of others) {
        runs.get(base!)!.push(await wrk(op, base!));
        runs.get(set)!.push(await wrk(op, set));
      }
    }
    if ((await op.workerPid()) !== pid) throw new Error('HAProxy was reloaded during the benchmark');
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const baseRps = mean(runs.get(base!)!.map((r) => r.rps));
    const rows = SETS.map((s) => {
      const r = runs.get(s)!;
      const rps = mean(r.map((x) => x.rps));
      return [s.name, Math.round(rps), mean(r.map((x) => x.p50)).toFixed(2), mean(r.map((x) => x.p99)).toFixed(2), (rps / baseRps).toFixed(2)];
    });
    console.log(table(['rules', 'requests/s', 'p50 ms', 'p99 ms', 'throughput vs no rules'], rows));
    return (
      `wrk -c${CONNECTIONS}, ${ROUNDS} rounds of ${SECONDS} s alternating with the plain host: no rules ${Math.round(baseRps)} req/s; throughput with ` +
      rows.slice(1).map((r) => `${r[0]} ${r[4]}x`).join(', ')
    );
  } finally {
    await backend.close();
    await op.stop();
  }
}

await eachHaproxy('rule-cost', main);
