/**
 * Fuzz: MCP tool arguments. Seeded (FUZZ_SEED overrides; the seed is
 * printed). The real tools, called through an in-process MCP client, over the
 * real operations layer and state store, whose Runtime API client points at a
 * recording fake. Each bad argument must come back as an isError result
 * naming the argument and its value (or bounded preview), with zero bytes
 * sent to the Runtime API, no admin action, and servers.json byte for byte
 * unchanged. Valid calls through the same client do reach the fake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectInMemory, textOf } from '../mcp/harness.ts';
import { createFakeAdmin } from '../mcp/fake-ops.ts';
import { pino } from 'pino';
import { createPrng, fuzzSeed, type Prng } from '../helpers/prng.ts';
import { BAD_NUMBERS, WRONG_TYPES_FOR_STRING, badString, describe, preview, type StringKind } from './generators.ts';
import { startRecordingOps } from './recording-ops.ts';
import type { DesiredState } from '../../src/model/state.ts';

const SEED = fuzzSeed(0x3c9a11);
const CASES = 400;

type FieldKind = StringKind | 'bool';
interface ToolCase {
  tool: string;
  valid: Record<string, unknown>;
  fields: Record<string, FieldKind>;
}

const TOOLS: ToolCase[] = [
  { tool: 'haproxy_add_domain', valid: { domain: 'new.test', ip: '10.0.0.9', port: 8080 }, fields: { domain: 'host', ip: 'ip', port: 'port', dry_run: 'bool' } },
  { tool: 'haproxy_remove_domain', valid: { domain: 'a.test' }, fields: { domain: 'host', dry_run: 'bool' } },
  { tool: 'haproxy_list_servers', valid: { domain: 'a.test' }, fields: { domain: 'host' } },
  {
    tool: 'haproxy_add_server',
    valid: { domain: 'a.test', slot: 2, ip: '10.0.0.2', port: 8080, weight: 5, state: 'ready', family: 'http', check: '/healthz' },
    fields: { domain: 'host', slot: 'slot', ip: 'ip', port: 'port', weight: 'weight', state: 'enum', family: 'enum', check: 'path', dry_run: 'bool' },
  },
  { tool: 'haproxy_remove_server', valid: { domain: 'a.test', slot: 1 }, fields: { domain: 'host', slot: 'slot', family: 'enum', dry_run: 'bool' } },
  { tool: 'haproxy_set_server_state', valid: { domain: 'a.test', slot: 1, state: 'drain' }, fields: { domain: 'host', slot: 'slot', state: 'enum', dry_run: 'bool' } },
  { tool: 'haproxy_set_server_weight', valid: { domain: 'a.test', slot: 1, weight: 3 }, fields: { domain: 'host', slot: 'slot', weight: 'weight', dry_run: 'bool' } },
  { tool: 'haproxy_clear_override', valid: { domain: 'a.test', slot: 1 }, fields: { domain: 'host', slot: 'slot', dry_run: 'bool' } },
  { tool: 'haproxy_get_server_health', valid: { domain: 'a.test' }, fields: { domain: 'host' } },
  { tool: 'haproxy_get_connections', valid: { domain: 'a.test' }, fields: { domain: 'host' } },
  { tool: 'haproxy_explain_route', valid: { host: 'a.test' }, fields: { host: 'host' } },
  { tool: 'haproxy_save_state', valid: { file: 'state-1' }, fields: { file: 'network', dry_run: 'bool' } },
  { tool: 'haproxy_restore_state', valid: { file: 'state-1' }, fields: { file: 'network', dry_run: 'bool' } },
];

const BASES: Partial<Record<FieldKind, string>> = { host: 'app.example.com', ip: '10.0.0.2', port: '8080', weight: '10', slot: '2', path: '/healthz', network: 'state-1' };
const ENUM_BASES: Record<string, string> = { state: 'ready', family: 'http' };
const BAD_BOOLS: readonly unknown[] = ['true', 'false', 1, 0, 'yes', null, [], {}, 'TRUE', ''];

function badValue(prng: Prng, field: string, kind: FieldKind): unknown {
  if (kind === 'bool') return prng.pick(BAD_BOOLS);
  const numeric = kind === 'port' || kind === 'weight' || kind === 'slot';
  if (numeric) {
    if (prng.bool()) {
      const v = prng.pick(BAD_NUMBERS);
      // Whole numbers inside the range are valid for some fields: 0 is a weight.
      if (kind === 'weight' && (v === 0)) return -1;
      return v;
    }
    return badString(prng, kind, BASES[kind]!).value;
  }
  if (prng.int(0, 3) === 0) return prng.pick(WRONG_TYPES_FOR_STRING);
  const base = kind === 'enum' ? ENUM_BASES[field]! : BASES[kind]!;
  return badString(prng, kind, base).value;
}

test(`fuzz: MCP tool arguments (seed ${SEED})`, async (t) => {
  t.diagnostic(`seed ${SEED} (set FUZZ_SEED to replay)`);
  const prng = createPrng(SEED);
  const rec = await startRecordingOps();
  const admin = createFakeAdmin();
  const mcp = await connectInMemory({ ops: rec.ops, admin, logger: pino({ level: 'silent' }) });
  t.after(async () => {
    await mcp.close();
    await rec.close();
  });
  const before = await rec.serversBytes();
  const perTool = new Map<string, number>();
  const failures: string[] = [];

  for (let i = 0; i < CASES; i++) {
    const spec = prng.pick(TOOLS);
    const field = prng.pick(Object.keys(spec.fields));
    const value = badValue(prng, field, spec.fields[field]!);
    const args = { ...spec.valid, [field]: value };
    const what = `${spec.tool} ${field}=${describe(value)} (case ${i})`;
    const result = await mcp.client.callTool({ name: spec.tool, arguments: args });
    const text = textOf(result);
    if (result.isError !== true) failures.push(`${what}: accepted: ${text.slice(0, 200)}`);
    else if (!text.includes(`${field}=`)) failures.push(`${what}: error does not name the argument: ${text.slice(0, 300)}`);
    else if (!text.includes(preview(value))) failures.push(`${what}: error does not show the value ${preview(value)}: ${text.slice(0, 300)}`);
    else if (text.length >= 2000) failures.push(`${what}: error is not bounded (${text.length} chars)`);
    perTool.set(spec.tool, (perTool.get(spec.tool) ?? 0) + 1);
  }

  assert.deepEqual(failures.slice(0, 15), [], `${failures.length} of ${CASES} cases failed; first ones listed`);
  assert.equal(rec.fake.connections, 0, 'the Runtime API saw no connection');
  assert.equal(rec.fake.bytesReceived(), 0, 'the Runtime API received zero bytes');
  assert.deepEqual(admin.calls, [], 'no admin action (reload, save, restore) ran');
  assert.ok((await rec.serversBytes()).equals(before), 'servers.json byte for byte unchanged');
  const total = [...perTool.values()].reduce((a, b) => a + b, 0);
  t.diagnostic(`bad argument cases: ${total} (${[...perTool].map(([k, v]) => `${k.replace('haproxy_', '')} ${v}`).join(', ')})`);
  assert.ok(total >= 200);

  // Positive control: valid calls through the same client change state and reach the fake.
  const ok1 = await mcp.client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'new.test', ip: '10.0.0.9', port: 8080 } });
  assert.notEqual(ok1.isError, true, textOf(ok1));
  const ok2 = await mcp.client.callTool({ name: 'haproxy_set_server_weight', arguments: { domain: 'a.test', slot: '1', weight: 0 } });
  assert.notEqual(ok2.isError, true, textOf(ok2));
  const ok3 = await mcp.client.callTool({ name: 'haproxy_save_state', arguments: { file: 'state-1' } });
  assert.notEqual(ok3.isError, true, textOf(ok3));
  assert.ok(rec.mutating().some((l) => l.includes(' new.test pool_')), rec.mutating().join(' | '));
  // The fake HAProxy has no servers to set a weight on (the runner plans from what it observed), so the weight change shows in the saved state.
  const saved = JSON.parse((await rec.serversBytes()).toString('utf8')) as DesiredState;
  assert.equal(saved.domains['a.test']!.servers.find((s) => s.slot === 1)!.weight, 0, 'the weight change was saved');
  assert.equal(rec.ops.getDomain('a.test')?.servers.find((s) => s.slot === 1)?.weight, 0, 'weight 0 (a valid weight) was stored');
  assert.equal(admin.calls.length, 1);
  assert.ok(!(await rec.serversBytes()).equals(before));
  t.diagnostic('positive controls: 3');
});
