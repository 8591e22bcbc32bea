/**
 * @module Settings: defaults, precedence flag > environment > config file >
 * default, bad values named by their origin (flag, variable or file key)
 * with the value, unknown config keys, argv parsing, and --help listing
 * every option with its flag, variable, key and default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helpText, parseArgv, resolveSettings } from '../../src/config/settings.ts';
import { ALL_OPTIONS, OPTIONS, envName, flagName, type OptionDef } from '../../src/config/options.ts';
import { ValidationError } from '../../src/model/errors.ts';

async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hop-settings-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function validation(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  assert.fail('expected a ValidationError');
}

test('names: --kebab-case flags, HAPROXY_OPERATOR_UPPER_SNAKE variables', () => {
  assert.equal(flagName('httpPort'), 'http-port');
  assert.equal(envName('httpPort'), 'HAPROXY_OPERATOR_HTTP_PORT');
  assert.equal(envName('mcpTokenFile'), 'HAPROXY_OPERATOR_MCP_TOKEN_FILE');
  assert.equal(flagName('stateDir'), 'state-dir');
});

test('defaults: managed mode, 8080/8443, Runtime API 127.0.0.1:9999, ./state, 100 pools x 10 slots', () => {
  const s = resolveSettings({}, {}, '/srv/op');
  assert.equal(s.mode, 'managed');
  assert.equal(s.httpPort, 8080);
  assert.equal(s.httpsPort, 8443);
  assert.deepEqual(s.runtimeApi, { kind: 'tcp', host: '127.0.0.1', port: 9999 });
  assert.equal(s.stateDir, '/srv/op/state');
  assert.equal(s.confDir, '/srv/op/state');
  assert.equal(s.certDir, '/srv/op/state/certs');
  assert.equal(s.runDir, '/srv/op/state/run');
  assert.equal(s.pools, 100);
  assert.equal(s.slots, 10);
  assert.deepEqual(s.listen, { host: '127.0.0.1', port: 8000 });
  assert.deepEqual(s.trustedNetworks, ['127.0.0.0/8', '::1/128', '100.64.0.0/10']);
  assert.equal(s.mcpHost, undefined);
  assert.equal(s.configFile, undefined);
});

test('precedence: flag > environment > config file > default, for each key independently', async (t) => {
  const dir = await tempDir(t);
  const cfg = join(dir, 'op.yaml');
  await writeFile(cfg, 'httpPort: 1001\nhttpsPort: 1002\npools: 7\nslots: 3\ntrustedNetworks:\n  - 10.0.0.0/8\n  - 192.168.0.0/16\nruntimeApi: unix:/run/h.sock\n');
  const env = { HAPROXY_OPERATOR_HTTP_PORT: '2001', HAPROXY_OPERATOR_HTTPS_PORT: '2002', HAPROXY_OPERATOR_MAXCONN: '999' };
  const s = resolveSettings({ config: cfg, httpPort: '3001' }, env, dir);
  assert.equal(s.httpPort, 3001, 'flag beats env and file');
  assert.equal(s.httpsPort, 2002, 'env beats file');
  assert.equal(s.pools, 7, 'file beats default');
  assert.equal(s.maxconn, 999, 'env beats default');
  assert.equal(s.checkInterval, 2000, 'default');
  assert.deepEqual(s.trustedNetworks, ['10.0.0.0/8', '192.168.0.0/16'], 'YAML list');
  assert.deepEqual(s.runtimeApi, { kind: 'unix', path: '/run/h.sock' });
  assert.equal(s.configFile, cfg);

  // The config file named by the environment, relative to cwd; an empty variable is unset.
  const viaEnv = resolveSettings({}, { HAPROXY_OPERATOR_CONFIG: 'op.yaml', HAPROXY_OPERATOR_HTTPS_PORT: '' }, dir);
  assert.equal(viaEnv.httpPort, 1001);
  assert.equal(viaEnv.httpsPort, 1002);
  assert.equal(viaEnv.configFile, cfg);
  // A flag --config wins over the variable.
  await writeFile(join(dir, 'other.yaml'), 'pools: 9\n');
  assert.equal(resolveSettings({ config: join(dir, 'other.yaml') }, { HAPROXY_OPERATOR_CONFIG: cfg }, dir).pools, 9);
});

test('paths are resolved against cwd; confDir, certDir and runDir follow the state dir unless set', () => {
  const s = resolveSettings({ stateDir: 'data', certDir: '/etc/haproxy/certs' }, { HAPROXY_OPERATOR_RUN_DIR: 'run' }, '/srv/op');
  assert.equal(s.stateDir, '/srv/op/data');
  assert.equal(s.confDir, '/srv/op/data');
  assert.equal(s.certDir, '/etc/haproxy/certs');
  assert.equal(s.runDir, '/srv/op/run');
});

test('bad values name their origin and the value', async (t) => {
  const dir = await tempDir(t);
  const cfg = join(dir, 'op.yaml');
  await writeFile(cfg, 'httpPort: abc\n');
  const cases: Array<{ desc: string; run: () => unknown; field: string; value: unknown; reason: RegExp }> = [
    { desc: 'flag not an integer', run: () => resolveSettings({ httpPort: 'abc' }, {}, dir), field: '--http-port', value: 'abc', reason: /not an integer/ },
    { desc: 'env out of range', run: () => resolveSettings({}, { HAPROXY_OPERATOR_POOLS: '0' }, dir), field: 'HAPROXY_OPERATOR_POOLS', value: '0', reason: /out of range 1-5000/ },
    { desc: 'file not an integer', run: () => resolveSettings({ config: cfg }, {}, dir), field: `${cfg}: httpPort`, value: 'abc', reason: /not an integer/ },
    { desc: 'env with a fraction', run: () => resolveSettings({}, { HAPROXY_OPERATOR_SLOTS: '2.5' }, dir), field: 'HAPROXY_OPERATOR_SLOTS', value: '2.5', reason: /not an integer/ },
    { desc: 'mode not a choice', run: () => resolveSettings({ mode: 'cluster' }, {}, dir), field: '--mode', value: 'cluster', reason: /expected one of managed, external/ },
    { desc: 'runtime API address', run: () => resolveSettings({}, { HAPROXY_OPERATOR_RUNTIME_API: 'localhost:9999' }, dir), field: 'HAPROXY_OPERATOR_RUNTIME_API', value: 'localhost:9999', reason: /IP:PORT/ },
    { desc: 'runtime API port', run: () => resolveSettings({ runtimeApi: '127.0.0.1:70000' }, {}, dir), field: '--runtime-api', value: '127.0.0.1:70000', reason: /port/ },
    { desc: 'listen on a unix socket', run: () => resolveSettings({ listen: 'unix:/tmp/x.sock' }, {}, dir), field: '--listen', value: 'unix:/tmp/x.sock', reason: /IP:PORT/ },
    { desc: 'MCP host', run: () => resolveSettings({}, { HAPROXY_OPERATOR_MCP_HOST: 'mcp example.com' }, dir), field: 'HAPROXY_OPERATOR_MCP_HOST', value: 'mcp example.com', reason: /host name/ },
    { desc: 'log level', run: () => resolveSettings({ logLevel: 'loud' }, {}, dir), field: '--log-level', value: 'loud', reason: /expected one of/ },
  ];
  for (const c of cases) {
    const e = validation(c.run);
    assert.equal(e.field, c.field, c.desc);
    assert.equal(e.value, c.value, c.desc);
    assert.match(e.reason, c.reason, c.desc);
    assert.ok(e.message.startsWith(`${c.field}=${JSON.stringify(c.value)}: `), `${c.desc}: ${e.message}`);
  }
});

test('config file: unknown key, not a mapping, unreadable', async (t) => {
  const dir = await tempDir(t);
  const cfg = join(dir, 'op.yaml');
  await writeFile(cfg, 'httpPort: 81\nhtpsPort: 443\n');
  let e = validation(() => resolveSettings({ config: cfg }, {}, dir));
  assert.equal(e.field, `${cfg}: htpsPort`);
  assert.equal(e.value, 443);
  assert.match(e.reason, /^unknown option; known: mode, stateDir, .*httpsPort/);
  await writeFile(cfg, 'config: other.yaml\n');
  assert.equal(validation(() => resolveSettings({ config: cfg }, {}, dir)).field, `${cfg}: config`, 'a config file cannot name another');
  await writeFile(cfg, '- a\n- b\n');
  e = validation(() => resolveSettings({ config: cfg }, {}, dir));
  assert.equal(e.field, '--config');
  assert.equal(e.value, cfg);
  await writeFile(cfg, 'a: [\n');
  assert.match(validation(() => resolveSettings({ config: cfg }, {}, dir)).reason, /cannot read YAML config/);
  e = validation(() => resolveSettings({ config: join(dir, 'missing.yaml') }, {}, dir));
  assert.equal(e.value, join(dir, 'missing.yaml'));
  await writeFile(cfg, '');
  assert.equal(resolveSettings({ config: cfg }, {}, dir).httpPort, 8080, 'an empty file is fine');
});

test('argv: --flag value, --flag=value, --help, positionals; unknown flags are left for the caller', () => {
  const parsed = parseArgv(['run', '--http-port', '81', '--state-dir=/x', '--nope', '-h', 'extra']);
  assert.deepEqual(parsed.values, { httpPort: '81', stateDir: '/x' });
  assert.deepEqual(parsed.positionals, ['run', '--nope', 'extra']);
  assert.equal(parsed.help, true);
  const e = validation(() => parseArgv(['--pools']));
  assert.equal(e.field, '--pools');
  assert.match(e.reason, /missing value/);
  const defs: OptionDef[] = [{ key: 'dryRun', type: 'bool', help: 'x' }, { key: 'name', type: 'string', help: 'y' }];
  assert.deepEqual(parseArgv(['--dry-run', '--name', 'n'], defs).values, { dryRun: 'true', name: 'n' });
  assert.deepEqual(parseArgv(['--name', 'n', '--dry-run'], defs).values, { name: 'n', dryRun: 'true' });
});

test('--help lists every option with its flag, variable, config key and default', () => {
  const text = helpText('usage: haproxy-operator [run] [options]');
  assert.ok(text.startsWith('usage: haproxy-operator [run] [options]\n'));
  for (const d of OPTIONS) {
    assert.ok(text.includes(`--${flagName(d.key)} `), `flag of ${d.key}`);
    const line = `      ${envName(d.key)} / ${d.key}${d.default === undefined ? '' : ` (default: ${d.default === '' ? '""' : d.default})`}\n`;
    assert.ok(text.includes(line), `variable, key and default of ${d.key}: ${JSON.stringify(line)}`);
    assert.ok(text.includes(d.help), `help of ${d.key}`);
  }
  assert.match(text, /--http-port <n>\n {6}HAPROXY_OPERATOR_HTTP_PORT \/ httpPort \(default: 8080\)/);
  assert.match(text, /HAPROXY_OPERATOR_RUNTIME_API \/ runtimeApi \(default: 127\.0\.0\.1:9999\)/);
  assert.match(text, /\[managed\|external\]/);
});

test('module slices are typed: acme, dns, containers and importer from flags, environment and file, with defaults', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'op.yaml');
  await writeFile(file, 'acmeEmail: ops@example.com\ndnsResolvers: [" 1.1.1.1 ", "8.8.8.8:53"]\ncontainers: false\n');
  const s = resolveSettings(
    { config: file, drainTimeout: '2500', acmeEabKeyId: 'kid', acmeEabHmacFile: 'hmac.txt' },
    { [envName('cloudflareTokenFile')]: 'cf.token' },
    dir,
    ALL_OPTIONS,
  );
  assert.deepEqual(s.acme, { directory: 'letsencrypt', renewSchedule: '17 3,15 * * *', email: 'ops@example.com', eab: { keyId: 'kid', hmacKeyFile: join(dir, 'hmac.txt') } });
  assert.deepEqual(s.dns, { cloudflareApiUrl: 'https://api.cloudflare.com/client/v4', resolvers: ['1.1.1.1', '8.8.8.8:53'], propagationTimeoutMs: 120000, cloudflareTokenFile: join(dir, 'cf.token') });
  assert.deepEqual(s.containers, { enabled: false, drainTimeoutMs: 2500, eventsLog: 'auto' });
  const logged = resolveSettings({ podmanEventsLog: 'run/events.log' }, {}, dir, ALL_OPTIONS);
  assert.equal(logged.containers.eventsLog, join(dir, 'run/events.log'), 'a path is resolved against the working directory');
  assert.equal(resolveSettings({}, { [envName('podmanEventsLog')]: 'off' }, dir, ALL_OPTIONS).containers.eventsLog, 'off');
  // A command without these options (render-config takes OPTIONS only) still gets their defaults.
  const plain = resolveSettings({}, {}, dir, OPTIONS);
  assert.deepEqual(plain.containers, { enabled: true, drainTimeoutMs: 10000, eventsLog: 'auto' });
  assert.equal(plain.acme.email, undefined);
  assert.deepEqual(plain.importer, { dryRun: false });
  const bad = validation(() => resolveSettings({ drainTimeout: 'soon' }, {}, dir, ALL_OPTIONS));
  assert.equal(bad.field, '--drain-timeout');
  assert.equal(bad.value, 'soon');
});
