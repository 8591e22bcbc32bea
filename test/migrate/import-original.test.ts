/**
 * @module Tests for importing a fixture install of the original (written by
 * the test in the /opt/haproxy layout): the same domains, pools, slots and
 * server names come out; dry runs write nothing; secrets never appear in the
 * report; unreadable entries are reported with their path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, stat, readdir, access } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { importOriginal, runImportCommand } from '../../src/migrate/import-original.ts';
import { formatImportReport } from '../../src/migrate/report.ts';
import { parseDomainsMap } from '../../src/migrate/domains-map.ts';
import { DesiredState, serverName } from '../../src/model/state.ts';
import { ValidationError } from '../../src/model/errors.ts';
import { writeOriginalInstall, selfSignedPem, SECRET_TOKEN, SECRET_CF } from './original-install.ts';

const deps = { logger: pino({ level: 'silent' }), now: () => new Date('2026-11-25T10:00:00Z') };

const MAP = '# original\nexample.com pool_5\nwww.example.com pool_5\napi.example.com pool_6\nempty.example.com pool_7\n';
const SERVERS = {
  'example.com': { '1': { ip: '10.0.0.1', port: 80 }, '2': { ip: '10.0.0.2', port: 80 } },
  pool_6: { pool_6_1: { ip: '10.0.1.1', port: 8080 } },
};

function names(state: DesiredState, host: string): string[] {
  const d = state.domains[host]!;
  return d.servers.map((s) => `${serverName(d.pool, s.family, s.slot)}=${s.address}:${s.port}`);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

test('dry run: same domains, pools, slots and server names; nothing written; secrets not shown', async (t) => {
  const pem = selfSignedPem(['example.com', '*.example.com']);
  const inst = await writeOriginalInstall({ map: MAP, servers: SERVERS, certs: { 'example.com.pem': pem, 'nokey.pem': pem.replace(/-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----\n?/, '') } });
  t.after(() => rm(inst.root, { recursive: true, force: true }));
  const target = join(inst.root, 'operator');
  const { report, state } = await importOriginal(
    { from: inst.from, confDir: join(target, 'conf'), certDir: join(target, 'certs'), cloudflareIni: inst.cloudflareIni, dryRun: true },
    deps,
  );
  assert.deepEqual(Object.keys(state.domains).sort(), ['api.example.com', 'empty.example.com', 'example.com', 'www.example.com']);
  assert.equal(state.domains['example.com']!.pool, 5);
  assert.deepEqual(names(state, 'example.com'), [
    'pool_5_1=10.0.0.1:80',
    'pool_5_2=10.0.0.2:80',
    'pool_5_ssl_1=10.0.0.1:443',
    'pool_5_ssl_2=10.0.0.2:443',
    'pool_5_h3_1=10.0.0.1:443',
    'pool_5_h3_2=10.0.0.2:443',
  ]);
  // www shares pool_5 in domains.map, so it routed to the same servers.
  assert.deepEqual(names(state, 'www.example.com'), names(state, 'example.com'));
  assert.deepEqual(names(state, 'api.example.com'), ['pool_6_1=10.0.1.1:8080']);
  assert.deepEqual(state.domains['empty.example.com'], { pool: 7, source: 'import', servers: [] });
  assert.equal(state.domains['api.example.com']!.servers[0]!.source, 'import');

  assert.equal(report.serverCount, 13);
  assert.equal(report.mcpToken.found, true);
  assert.equal(report.cloudflare.found, true);
  assert.deepEqual(report.certificates.map((c) => [c.file, c.hasKey]), [['certs/example.com.pem', true], ['certs/nokey.pem', false]]);
  assert.deepEqual(report.certificates[0]!.altNames, ['example.com', '*.example.com']);
  assert.deepEqual(report.problems.map((p) => p.path), ['certs/nokey.pem']);
  assert.deepEqual(report.written, []);
  assert.ok(report.wouldWrite.includes(join(target, 'conf', 'servers.json')));
  assert.equal(await exists(target), false, 'a dry run creates nothing');

  const text = formatImportReport(report);
  assert.match(text, /MCP token .*: found/);
  assert.match(text, /Cloudflare API token .*: found/);
  assert.ok(!text.includes(SECRET_TOKEN) && !text.includes(SECRET_CF), 'report must not contain secrets');
  assert.ok(!text.includes('-----BEGIN'), 'report must not contain PEM material');
  assert.ok(!JSON.stringify(report).includes(SECRET_TOKEN), 'report object must not contain the token');
});

test('import writes servers.json, domains.map, the token and PEMs (0600) and a second run changes nothing', async (t) => {
  const pem = selfSignedPem(['a.test']);
  const inst = await writeOriginalInstall({
    map: 'a.test pool_2\nb.test pool_3\n',
    servers: { 'a.test': [{ slot: 1, ip: '10.0.0.1', port: 3000 }], 'b.test': { pool: 3, servers: { pool_3_1: { ip: '10.0.0.2', port: 80 } } } },
    certs: { 'a.test.pem': pem },
  });
  t.after(() => rm(inst.root, { recursive: true, force: true }));
  const confDir = join(inst.root, 'new', 'conf');
  const certDir = join(inst.root, 'new', 'certs');
  const first = await importOriginal({ from: inst.from, confDir, certDir, cloudflareIni: inst.cloudflareIni }, deps);
  assert.deepEqual(first.report.problems, []);
  assert.deepEqual(first.report.written.sort(), [join(certDir, 'a.test.pem'), join(confDir, 'domains.map'), join(confDir, 'mcp-token.env'), join(confDir, 'servers.json')]);

  const saved = DesiredState.parse(JSON.parse(await readFile(join(confDir, 'servers.json'), 'utf8')));
  assert.deepEqual(saved, first.state);
  const map = parseDomainsMap(await readFile(join(confDir, 'domains.map'), 'utf8'));
  assert.deepEqual(map.entries.map((e) => `${e.host} pool_${e.pool}`), ['a.test pool_2', 'b.test pool_3']);
  assert.equal(await readFile(join(certDir, 'a.test.pem'), 'utf8'), pem);
  assert.equal((await stat(join(certDir, 'a.test.pem'))).mode & 0o777, 0o600);
  assert.equal((await stat(join(confDir, 'mcp-token.env'))).mode & 0o777, 0o600);
  assert.equal((await readdir(confDir)).filter((f) => f.includes('.tmp-')).length, 0, 'no temp files left');

  const second = await importOriginal({ from: inst.from, confDir, certDir, cloudflareIni: inst.cloudflareIni }, deps);
  assert.deepEqual(second.report.written, [], 'idempotent: nothing rewritten');
  assert.deepEqual(second.state, first.state);
});

test('in-place import keeps the original servers.json as a backup and leaves certs where they are', async (t) => {
  const inst = await writeOriginalInstall({ map: 'a.test pool_1\n', servers: { 'a.test': { '1': { ip: '10.0.0.1', port: 8080 } } }, certs: { 'a.test.pem': selfSignedPem(['a.test']) } });
  t.after(() => rm(inst.root, { recursive: true, force: true }));
  const original = await readFile(join(inst.from, 'conf', 'servers.json'), 'utf8');
  const { report } = await importOriginal({ from: inst.from, confDir: join(inst.from, 'conf'), certDir: join(inst.from, 'certs'), cloudflareIni: inst.cloudflareIni }, deps);
  const backup = join(inst.from, 'conf', 'servers.json.pre-import-2026-11-25T10-00-00-000Z');
  assert.equal(await readFile(backup, 'utf8'), original);
  assert.ok(!report.written.some((f) => f.endsWith('.pem')));
  assert.ok(!report.written.some((f) => f.endsWith('mcp-token.env')));
  // Re-running on the converted file reads the operator's format back.
  const again = await importOriginal({ from: inst.from, confDir: join(inst.from, 'conf'), certDir: join(inst.from, 'certs'), cloudflareIni: inst.cloudflareIni }, deps);
  assert.deepEqual(again.report.written, []);
  assert.deepEqual(again.report.domains, report.domains);
});

test('entries that cannot be placed are reported with their path, and the command exits 2', async (t) => {
  const inst = await writeOriginalInstall({
    map: 'a.test pool_1\nbig.test pool_101\n',
    servers: {
      'a.test': { pool: 2, '1': { ip: '10.0.0.1', port: 8080 } },
      'gone.test': { '1': { ip: '10.0.0.2', port: 8080 } },
      pool_9: { pool_9_1: { ip: '10.0.0.3', port: 8080 } },
      'big.test': { '11': { ip: '10.0.0.4', port: 8080 } },
    },
    token: null,
    cloudflare: null,
  });
  t.after(() => rm(inst.root, { recursive: true, force: true }));
  let printed = '';
  const code = await runImportCommand(
    { from: inst.from, confDir: join(inst.root, 'c'), certDir: join(inst.root, 'k'), cloudflareIni: inst.cloudflareIni, dryRun: true },
    { ...deps, print: (s) => (printed += s) },
  );
  assert.equal(code, 2);
  assert.match(printed, /domains\.map:2 = "big\.test pool_101": pool_101 is beyond the configured pools \(100\)/);
  assert.match(printed, /servers\.json:\$\["a\.test"\]\["1"\] = "pool_2": domains\.map routes a\.test to pool_1/);
  assert.match(printed, /servers\.json:\$\["gone\.test"\]\["1"\] = "gone\.test": domain is not routed in domains\.map/);
  assert.match(printed, /servers\.json:\$\.pool_9\.pool_9_1 = "pool_9": no host in domains\.map routes to this pool/);
  assert.match(printed, /servers\.json:\$\["big\.test"\]\["11"\] = "big\.test": its domains\.map line was not imported \(domains\.map:2\)/);
  assert.match(printed, /MCP token .*: not found/);
  assert.match(printed, /Cloudflare API token: not found \(looked in .*cloudflare\.ini/);
});

test('slots beyond the configured count are reported, not dropped', async (t) => {
  const inst = await writeOriginalInstall({ map: 'a.test pool_1\n', servers: { 'a.test': { '11': { ip: '10.0.0.1', port: 8080 }, '2': { ip: '10.0.0.2', port: 8080 } } } });
  t.after(() => rm(inst.root, { recursive: true, force: true }));
  const { report, state } = await importOriginal({ from: inst.from, confDir: join(inst.root, 'c'), certDir: join(inst.root, 'k'), cloudflareIni: inst.cloudflareIni, dryRun: true }, deps);
  assert.deepEqual(names(state, 'a.test'), ['pool_1_2=10.0.0.2:8080']);
  assert.deepEqual(report.problems.map((p) => [p.path, p.value]), [['servers.json:$["a.test"]["11"]', 11]]);
  assert.match(report.problems[0]!.reason, /raise --slots/);
});

test('bad input fails with the file named and changes nothing', async (t) => {
  const inst = await writeOriginalInstall({ map: 'a.test pool_1\n', servers: '{"a.test": {' });
  t.after(() => rm(inst.root, { recursive: true, force: true }));
  const confDir = join(inst.root, 'c');
  await assert.rejects(importOriginal({ from: inst.from, confDir, certDir: join(inst.root, 'k'), cloudflareIni: inst.cloudflareIni }, deps), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.match(err.message, /servers\.json.*not valid JSON/);
    return true;
  });
  assert.equal(await exists(confDir), false);
  await assert.rejects(importOriginal({ from: join(inst.root, 'nowhere'), confDir, certDir: join(inst.root, 'k') }, deps), /from="[^"]*nowhere": no .*domains\.map/);
});
