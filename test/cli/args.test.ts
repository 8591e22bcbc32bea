/**
 * @module Client command parsing: flag forms, errors that name the flag and
 * value, --help of every command (generated from the same declarations the
 * parser uses), exit codes, and how the operator address and token are
 * resolved (flag > environment > config file > default; token never printed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseCommandArgs, UsageError } from '../../src/cli/args.ts';
import { resolveConnection } from '../../src/cli/connection.ts';
import { CLI_COMMANDS, runCli } from '../../src/cli/run.ts';
import { APPLY, CERT_ISSUE, CERT_SUBCOMMANDS, EXPLAIN, GET } from '../../src/cli/specs.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out: () => out.join('\n'), err: () => err.join('\n') };
}

test('parseCommandArgs: long, short, = forms, stdin dash, -- and booleans', () => {
  assert.deepEqual(parseCommandArgs(APPLY, ['-f', 'a.yaml', '--dry-run']), { flags: { filename: 'a.yaml', 'dry-run': true }, positionals: [], help: false });
  assert.deepEqual(parseCommandArgs(APPLY, ['--filename=a.yaml']).flags, { filename: 'a.yaml' });
  assert.deepEqual(parseCommandArgs(APPLY, ['-f=-']).flags, { filename: '-' });
  assert.deepEqual(parseCommandArgs(APPLY, ['-f', '-']).flags, { filename: '-' });
  assert.deepEqual(parseCommandArgs(GET, ['domains', 'web', '-o', 'yaml', '--listen', '127.0.0.1:9']), {
    flags: { output: 'yaml', listen: '127.0.0.1:9' },
    positionals: ['domains', 'web'],
    help: false,
  });
  assert.deepEqual(parseCommandArgs(EXPLAIN, ['--', '-weird']).positionals, ['-weird']);
  assert.equal(parseCommandArgs(CERT_ISSUE, ['example.com', '--wildcard']).flags.wildcard, true);
  // --help wins over missing arguments.
  assert.equal(parseCommandArgs(EXPLAIN, ['--help']).help, true);
});

test('parseCommandArgs: errors name the flag and the value', () => {
  const cases: Array<[typeof APPLY, string[], RegExp]> = [
    [APPLY, ['--nope'], /unknown option --nope for apply/],
    [APPLY, ['-f'], /-f needs a value \(FILE\)/],
    [APPLY, ['-f', '--dry-run'], /-f needs a value/],
    [APPLY, ['--dry-run=yes'], /--dry-run takes no value \(got "yes"\)/],
    [APPLY, ['-f', 'a', '-f', 'b'], /-f given twice \("a" and "b"\)/],
    [GET, ['domains', '-o', 'xml'], /-o="xml": expected one of table, wide, yaml, json/],
    [GET, [], /missing <kind> for get/],
    [GET, ['a', 'b', 'c'], /unexpected argument "c" for get/],
    [EXPLAIN, [], /missing <host> for explain/],
  ];
  for (const [spec, argv, re] of cases) {
    assert.throws(() => parseCommandArgs(spec, argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(' '));
  }
});

test('--help of every command: exit 0, usage line, every flag and the connection flags', async () => {
  const specs = [APPLY, GET, EXPLAIN, ...CERT_SUBCOMMANDS, { name: 'delete', flags: [{ name: 'filename' }, { name: 'dry-run' }] }];
  for (const spec of specs) {
    const [command, ...sub] = spec.name.split(' ');
    for (const flag of ['--help', '-h']) {
      const c = capture();
      const code = await runCli(command!, [...sub, flag], c.io, {});
      assert.equal(code, 0, `${spec.name} ${flag}: ${c.err()}`);
      assert.match(c.out(), new RegExp(`^Usage: haproxy-operator ${spec.name} `), spec.name);
      for (const f of spec.flags) assert.ok(c.out().includes(`--${f.name}`), `${spec.name} help lists --${f.name}`);
      for (const f of ['--listen', '--mcp-token-file', '--config']) assert.ok(c.out().includes(f), `${spec.name} help lists ${f}`);
      assert.equal(c.err(), '');
    }
  }
  const group = capture();
  assert.equal(await runCli('cert', ['--help'], group.io, {}), 0);
  assert.match(group.out(), /cert <list\|issue\|renew>/);
  for (const s of ['list', 'issue', 'renew']) assert.match(group.out(), new RegExp(`\\n  ${s} `));
  const bare = capture();
  assert.equal(await runCli('cert', [], bare.io, {}), 2, 'cert without a subcommand is a usage error');
  assert.match(bare.err(), /Usage: haproxy-operator cert/);
});

test('CLI_COMMANDS lists every command runCli accepts, each with a description', async () => {
  assert.deepEqual(CLI_COMMANDS.map((c) => c.name), ['apply', 'get', 'delete', 'explain', 'export', 'cert']);
  for (const c of CLI_COMMANDS) {
    assert.ok(c.description.length > 10 && c.usage.startsWith(c.name), c.name);
    const cap = capture();
    const sub = { cert: ['list'], export: ['kubernetes'] }[c.name] ?? [];
    assert.equal(await runCli(c.name, [...sub, '--help'], cap.io, {}), 0, c.name);
  }
  const cap = capture();
  assert.equal(await runCli('frobnicate', [], cap.io, {}), 2);
  assert.match(cap.err(), /unknown command "frobnicate"/);
});

test('usage errors exit 2 and point to the command help; nothing is sent', async () => {
  const c = capture();
  assert.equal(await runCli('get', ['bogus', '--listen', '127.0.0.1:1'], c.io, {}), 2);
  assert.match(c.err(), /unknown resource kind "bogus"/);
  assert.match(c.err(), /see: haproxy-operator get --help/);
  const a = capture();
  assert.equal(await runCli('apply', [], a.io, {}), 2);
  assert.match(a.err(), /apply needs -f FILE/);
  const l = capture();
  assert.equal(await runCli('get', ['domains', '--listen', 'nonsense'], l.io, {}), 2);
  assert.match(l.err(), /--listen="nonsense": expected IP:PORT/);
});

test('apply -f - reads standard input and validates it before connecting', async () => {
  const c = capture();
  const stdin = Readable.from(['apiVersion: haproxy-operator.io/v1alpha1\nkind: Domain\nmetadata: {name: Bad_Name}\nspec: {hosts: [a.test], servers: [{address: 127.0.0.1, port: 0}]}\n']);
  const code = await runCli('apply', ['-f', '-', '--listen', '127.0.0.1:1'], c.io, {}, { stdin });
  assert.equal(code, 1);
  assert.match(c.err(), /\(stdin\)#0 .*metadata\.name="Bad_Name"/);
  assert.match(c.err(), /spec\.servers\.0\.port=0/);
  assert.match(c.err(), /error: 2 problem\(s\); nothing was changed/);
  assert.doesNotMatch(c.err(), /cannot reach/);
});

test('resolveConnection: flag > env > config file > default; 0.0.0.0 is reached on loopback', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cfg = join(dir, 'config.yaml');
  await writeFile(cfg, 'listen: 0.0.0.0:8100\nmcpTokenFile: tok.env\nacmeEmail: a@b.test\n');
  await writeFile(join(dir, 'tok.env'), 'MCP_TOKEN=from-file\n');
  assert.deepEqual(await resolveConnection({}, {}, dir), { baseUrl: 'http://127.0.0.1:8000', host: '127.0.0.1', port: 8000 });
  assert.deepEqual(await resolveConnection({ config: cfg }, {}, dir), { baseUrl: 'http://127.0.0.1:8100', host: '127.0.0.1', port: 8100, token: 'from-file' });
  const env = { HAPROXY_OPERATOR_CONFIG: cfg, HAPROXY_OPERATOR_LISTEN: '[::1]:8200' };
  assert.equal((await resolveConnection({}, env, dir)).baseUrl, 'http://[::1]:8200');
  assert.equal((await resolveConnection({ listen: '127.0.0.2:8300' }, env, dir)).baseUrl, 'http://127.0.0.2:8300');
  assert.equal((await resolveConnection({}, { HAPROXY_OPERATOR_MCP_TOKEN: 'from-env' }, dir)).token, 'from-env');
  // The file wins over the environment, as in the operator.
  assert.equal((await resolveConnection({ 'mcp-token-file': join(dir, 'tok.env') }, { HAPROXY_OPERATOR_MCP_TOKEN: 'from-env' }, dir)).token, 'from-file');
  await assert.rejects(resolveConnection({ 'mcp-token-file': join(dir, 'missing') }, {}, dir), /--mcp-token-file=".*missing": cannot read the token file: ENOENT/);
  await writeFile(join(dir, 'empty.env'), '# nothing\n');
  await assert.rejects(resolveConnection({ 'mcp-token-file': join(dir, 'empty.env') }, {}, dir), /holds no token/);
});

test('a token is never printed, even when the operator is unreachable or refuses it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'tok'), 'super-secret-value-123\n');
  const c = capture();
  const code = await runCli('explain', ['a.test', '--listen', '127.0.0.1:1', '--mcp-token-file', join(dir, 'tok')], c.io, { HAPROXY_OPERATOR_MCP_TOKEN: 'other-secret-456' });
  assert.equal(code, 1);
  assert.equal(c.err(), 'error: cannot reach the operator at http://127.0.0.1:1: connection refused; is it running?');
  assert.doesNotMatch(c.out() + c.err(), /super-secret|other-secret/);
});
