/**
 * @module Access-rule values as labels and manifests give them: networks
 * (canonical, host bits refused, overlaps), rate-limit text, basic-auth
 * references (file mode, unreadable, bad lines, never the password in an
 * error) and the stable hash of unchanged credentials.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ACCESS_MAPS, AccessRules, AllowText, RateLimitText, accessView, type AccessFields } from '../../src/model/access-rules.ts';
import { verifyPassword } from '../../src/model/basic-auth.ts';
import { decodeLabels } from '../../src/podman/labels.ts';

const Rules = z.strictObject(AccessRules);
const issues = (r: { success: boolean; error?: z.ZodError }) => (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

test('allowlist networks are held canonical; host bits, bad prefixes and junk are refused with the reason', () => {
  assert.deepEqual(AllowText.parse('10.0.0.0/8, 2001:DB8:0::/32 192.0.2.7'), ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7/32']);
  assert.deepEqual(issues(AllowText.safeParse('10.1.2.3/8')), ['0: host bits set: the network is 10.0.0.0/8']);
  assert.deepEqual(issues(AllowText.safeParse('10.0.0.0/33')), ['0: prefix longer than 32 bits']);
  assert.match(issues(AllowText.safeParse('10.0.0.0/8,evil;show'))[0]!, /^1: not an IPv4 or IPv6 network/);
  assert.deepEqual(issues(AllowText.safeParse(' , ')), [': an allowlist needs at least one network']);
  // IPv4-mapped IPv6: held as the IPv4 network it names (HAProxy matches IPv4 clients against IPv4 entries).
  assert.deepEqual(AllowText.parse('::ffff:1.2.3.4/128 ::FFFF:10.0.0.0/104 ::ffff:192.0.2.9'), ['1.2.3.4/32', '10.0.0.0/8', '192.0.2.9/32']);
  assert.deepEqual(issues(AllowText.safeParse('::ffff:10.1.0.0/104')), ['0: host bits set: the network is 10.0.0.0/8']);
  assert.deepEqual(AllowText.parse('::ffff:0:0/96'), ['0.0.0.0/0']);
});

test('overlapping allowlists: each host gets a pair for every network its own cover, and keys and values pass the map patterns', () => {
  const hosts = new Map<string, AccessFields>([
    ['wide.test', { allow: ['10.0.0.0/8'] }],
    ['narrow.test', { allow: ['10.1.0.0/16', '::1/128'] }],
  ]);
  const allow = ACCESS_MAPS.find((m) => m.name === 'allow')!.entries(hosts).map(([k]) => k);
  assert.deepEqual(allow, ['narrow.test:allow', 'narrow.test@10.1.0.0/16:allow', 'narrow.test@::1/128:allow', 'wide.test:allow', 'wide.test@10.0.0.0/8:allow', 'wide.test@10.1.0.0/16:allow']);
  for (const m of ACCESS_MAPS) for (const [k, v] of m.entries(hosts)) assert.ok(m.key.test(k) && m.value.test(v), `${m.name}: ${k} ${v}`);
});

test('rate-limit text: rate per second and an optional burst no lower than the rate', () => {
  assert.deepEqual(RateLimitText.parse('10/s'), { rate: 10 });
  assert.deepEqual(RateLimitText.parse(' 10/s burst=30 '), { rate: 10, burst: 30 });
  assert.deepEqual(issues(RateLimitText.safeParse('10/s burst=5')), [': burst is below the rate (it is the most in one second, at least the rate)']);
  assert.deepEqual(issues(RateLimitText.safeParse('10/m')), [': not a rate limit (for example 10/s, or 10/s burst=30)']);
  assert.deepEqual(issues(RateLimitText.safeParse('0/s')), ['rate: not a rate (1-100000 requests per second)']);
  const entries = ACCESS_MAPS.find((m) => m.name === 'rate-limit')!.entries(new Map([['a.test', { rateLimit: { rate: 10, burst: 30 } }]]));
  assert.deepEqual(entries, [['a.test:rate-limit', '30:100']]);
});

test('basic auth by reference: hashed while parsing, same hash when unchanged, refused (never echoing the password) when unusable', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-auth-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'users');
  await writeFile(file, '# staff\nalice:s3cret pass\n', { mode: 0o600 });
  const first = Rules.parse({ basicAuth: { realm: 'Staff only', credentialsRef: { file } } });
  assert.equal(first.basicAuth!.from, `file ${file}`);
  assert.equal(first.basicAuth!.users[0]!.user, 'alice');
  assert.ok(verifyPassword('s3cret pass', first.basicAuth!.users[0]!.hash));
  assert.ok(!JSON.stringify(first).includes('s3cret'));
  assert.deepEqual(Rules.parse({ basicAuth: { realm: 'Staff only', credentialsRef: { file } } }), first, 'unchanged credentials keep their hash');
  assert.deepEqual(Rules.parse(first), first, 'the held form parses to itself (servers.json)');

  await chmod(file, 0o644);
  assert.deepEqual(issues(Rules.safeParse({ basicAuth: { credentialsRef: { file } } })), [`basicAuth.credentialsRef: ${file} is readable by other users (mode 0644): chmod 600 it`]);
  await writeFile(file, 'alice s3cret pass\n', { mode: 0o600 });
  await chmod(file, 0o600);
  const bad = issues(Rules.safeParse({ basicAuth: { credentialsRef: { file } } }));
  assert.deepEqual(bad, [`basicAuth.credentialsRef: file ${file}: line 1: not user:password`]);
  assert.ok(!bad.join().includes('s3cret'));
  assert.match(issues(Rules.safeParse({ basicAuth: { credentialsRef: { file: join(dir, 'none') } } }))[0]!, /cannot read \(ENOENT\)/);
  assert.deepEqual(issues(Rules.safeParse({ basicAuth: { credentialsRef: { env: 'HOP_TEST_UNSET_VAR' } } })), ['basicAuth.credentialsRef: environment variable HOP_TEST_UNSET_VAR is not set or empty']);
  assert.deepEqual(issues(Rules.safeParse({ basicAuth: { realm: 'a"b', users: [{ user: 'bob', password: 'x' }] } })), ['basicAuth.realm: not a realm (1-64 printable ASCII characters, no " or \\)']);
});

test('labels: access rules from haproxy.allow, haproxy.basic-auth(-realm) and haproxy.rate-limit; bad values refused naming label and value', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-auth-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'users');
  await writeFile(file, 'alice:pw-of-alice\n', { mode: 0o600 });
  const base = { 'haproxy.domain': 'a.test' };
  const got = decodeLabels({ ...base, 'haproxy.allow': '10.0.0.0/8', 'haproxy.basic-auth': `file:${file}`, 'haproxy.basic-auth-realm': 'Admin', 'haproxy.rate-limit': '5/s' });
  assert.equal(got.kind, 'valid');
  const rules = got.kind === 'valid' ? got.config.rules! : {};
  assert.deepEqual(accessView(rules), { allow: ['10.0.0.0/8'], basicAuth: { realm: 'Admin', users: ['alice'], from: `file ${file}` }, rateLimit: { rate: 5 } });
  assert.ok(verifyPassword('pw-of-alice', rules.basicAuth!.users[0]!.hash));

  const refused = (labels: Record<string, string>) => {
    const d = decodeLabels({ ...base, ...labels });
    return d.kind === 'invalid' ? d.problems.map((p) => `${p.field}=${p.value}: ${p.message}`) : [];
  };
  assert.deepEqual(refused({ 'haproxy.basic-auth': 'secret:x' }), ['haproxy.basic-auth=secret:x: not a credentials reference (file:/absolute/path or env:VARIABLE)']);
  assert.deepEqual(refused({ 'haproxy.allow': '10.0.0.0/8, 10.1.2.3/8' }), ['haproxy.allow=10.0.0.0/8, 10.1.2.3/8: "10.1.2.3/8": host bits set: the network is 10.0.0.0/8']);
  assert.deepEqual(refused({ 'haproxy.rate-limit': '10/m' }), ['haproxy.rate-limit=10/m: not a rate limit (for example 10/s, or 10/s burst=30)']);
  assert.deepEqual(refused({ 'haproxy.basic-auth-realm': 'Admin' }), ['haproxy.basic-auth-realm=Admin: has no effect without haproxy.basic-auth']);
  assert.deepEqual(refused({ 'haproxy.basic-auth': 'env:HOP_TEST_UNSET_VAR', 'haproxy.basic-auth-realm': 'Admin' }), [
    'haproxy.basic-auth=env:HOP_TEST_UNSET_VAR: environment variable HOP_TEST_UNSET_VAR is not set or empty',
  ]);
  assert.deepEqual(refused({ 'haproxy.basic-auth': `file:${file}`, 'haproxy.basic-auth-realm': 'a"b' }), ['haproxy.basic-auth-realm=a"b: not a realm (1-64 printable ASCII characters, no " or \\)']);
  await writeFile(file, 'alice pw-of-alice\n');
  const bad = refused({ 'haproxy.basic-auth': `file:${file}` });
  assert.deepEqual(bad, [`haproxy.basic-auth=file:${file}: file ${file}: line 1: not user:password`]);
  assert.ok(!bad.join().includes('pw-of-alice'));
});

test('views show basic auth by user names and origin, never the hashes', () => {
  const held = Rules.parse({ basicAuth: { realm: 'R', users: [{ user: 'bob', password: 'pw-for-bob' }] }, rateLimit: { rate: 3 } });
  const view = accessView(held);
  assert.deepEqual(view, { basicAuth: { realm: 'R', users: ['bob'], from: 'mcp' }, rateLimit: { rate: 3 } });
  assert.ok(!JSON.stringify(view).includes(held.basicAuth!.users[0]!.hash.split(':')[1]!));
});

test('runtime commands, plan steps and drift lines show basic-auth hashes redacted', async () => {
  const { describeAction } = await import('../../src/operations/describe.ts');
  const { redactHashes } = await import('../../src/model/access-rules.ts');
  const hash = Rules.parse({ basicAuth: { users: [{ user: 'bob', password: 'pw' }] } }).basicAuth!.users[0]!.hash;
  const line = describeAction({ kind: 'addRule', map: 'auth-user', key: 'a.test@bob:auth-user', value: hash });
  assert.equal(line, 'set rule auth-user of a.test@bob:auth-user to (hash redacted)');
  assert.equal(redactHashes(`add map /x/rules.map a.test@bob:auth-user ${hash} -> Unknown`), 'add map /x/rules.map a.test@bob:auth-user (hash redacted) -> Unknown');
});

test('sources: a Domain manifest takes basic auth by credentialsRef only (no inline password), MCP by users and passwords only', async () => {
  const { ManifestRules, McpRules } = await import('../../src/model/rule-inputs.ts');
  const inline = { basicAuth: { users: [{ user: 'bob', password: 'inline-pw' }] } };
  const manifest = issues(ManifestRules.safeParse(inline));
  assert.ok(manifest.some((i) => /^basicAuth: Unrecognized key: "users"/.test(i)) && manifest.some((i) => /^basicAuth.credentialsRef: /.test(i)), manifest.join('\n'));
  assert.ok(!manifest.join().includes('inline-pw'));
  assert.deepEqual(accessView(McpRules.parse(inline)), { basicAuth: { users: ['bob'], from: 'mcp' } });
  const mcp = issues(McpRules.safeParse({ basicAuth: { credentialsRef: { env: 'HOME' } } }));
  assert.ok(mcp.some((i) => /^basicAuth: Unrecognized key: "credentialsRef"/.test(i)), mcp.join('\n'));
  assert.ok(issues(McpRules.safeParse({ basicAuth: { users: [{ user: 'bob', hash: 'a'.repeat(32) + ':' + 'b'.repeat(64) }] } })).length > 0, 'MCP gives passwords, not hashes');
});
