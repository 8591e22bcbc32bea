/**
 * @module Runtime API client against a fake prompt-mode server: batches keep
 * their order and never interleave, replies split across packets are
 * reassembled, a dropped connection rejects what was in flight and the next
 * call reconnects, a silent server times out, and `apply` turns an error
 * reply into a RuntimeCommandError naming the command. The key proof of the
 * foundation issue: bad input to the real operations layer is a
 * ValidationError naming field and value, servers.json is not written, and
 * the Runtime API receives zero bytes (not even a connection).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntimeClient, type RuntimeClient } from '../../src/haproxy/runtime-client.ts';
import { RuntimeCommandError, ValidationError } from '../../src/model/errors.ts';
import { createRouting } from '../../src/wiring/routing.ts';
import { createStateStore } from '../../src/store/state-store.ts';
import { emptyState } from '../../src/model/state.ts';
import { createLogger } from '../../src/log.ts';
import { startFakeRuntime, type FakeRuntime } from './fake-runtime.ts';

async function setup(t: { after(fn: () => unknown): void }, options: Parameters<typeof startFakeRuntime>[0] = {}, timeoutMs?: number): Promise<{ fake: FakeRuntime; client: RuntimeClient }> {
  const fake = await startFakeRuntime(options);
  const client = createRuntimeClient({ address: { kind: 'tcp', host: '127.0.0.1', port: fake.port }, ...(timeoutMs ? { timeoutMs } : {}) });
  t.after(async () => {
    client.close();
    await fake.close();
  });
  return { fake, client };
}

test('a batch keeps its order; replies split into 3-byte packets are reassembled', async (t) => {
  const { fake, client } = await setup(t, { reply: (c) => `reply to ${c}\nsecond line`, chunkBytes: 3 });
  const cmds = Array.from({ length: 50 }, (_, i) => `show servers state pool_${i + 1}`);
  const replies = await client.execute(cmds);
  assert.deepEqual(replies, cmds.map((c) => `reply to ${c}\nsecond line`));
  assert.deepEqual(fake.lines, cmds);
  assert.equal(client.sent, 50);
  assert.deepEqual(await client.execute([]), []);
  assert.equal(fake.connections, 1);
});

test('concurrent execute() calls never interleave on the socket', async (t) => {
  // Random delays per reply give every batch a chance to overtake another.
  const { fake, client } = await setup(t, { reply: async (c) => {
    await new Promise((r) => setTimeout(r, Math.random() < 0.1 ? 2 : 0));
    return `ok ${c}`;
  } });
  const batches = Array.from({ length: 20 }, (_, b) => Array.from({ length: 1 + ((b * 7) % 30) }, (_, i) => `cmd b${b} i${i}`));
  const results = await Promise.all(batches.map((cmds) => client.execute(cmds)));
  results.forEach((replies, b) => assert.deepEqual(replies, batches[b]!.map((c) => `ok ${c}`), `batch ${b} got its own replies`));
  // On the wire, each batch is one contiguous run in the order the calls were made.
  assert.deepEqual(fake.lines, batches.flat());
  assert.equal(fake.connections, 1, 'one persistent connection');
});

test('a dropped connection rejects in-flight commands; the next call reconnects', async (t) => {
  const { fake, client } = await setup(t, { reply: (c) => (c === 'show drop' ? 'DROP' : `ok ${c}`) });
  assert.deepEqual(await client.execute(['show info']), ['ok show info']);
  const inFlight = client.execute(['show stat', 'show drop', 'show backend']);
  const queued = client.execute(['show map']);
  await assert.rejects(inFlight, (error: unknown) => error instanceof RuntimeCommandError && /connection closed|ECONNRESET/.test((error as Error).message));
  assert.deepEqual(await queued, ['ok show map'], 'the call queued behind the failure runs on a new connection');
  assert.deepEqual(await client.execute(['show info']), ['ok show info']);
  assert.equal(fake.connections, 2);
});

test('a reset connection (RST): the next calls share one new connection, none is leaked', async (t) => {
  const { fake, client } = await setup(t, { reply: (c) => (c === 'show reset' ? 'RESET' : `ok ${c}`) });
  assert.deepEqual(await client.execute(['show info']), ['ok show info']);
  await assert.rejects(client.execute(['show reset']), RuntimeCommandError);
  for (let i = 0; i < 5; i++) assert.deepEqual(await client.execute([`show ${i}`]), [`ok show ${i}`]);
  assert.equal(fake.connections, 2, 'one reconnect, not one per call');
  assert.equal(fake.open(), 1, 'no connection left open besides the current one');
});

test('a server that never answers: rejected after the timeout, then reconnect', async (t) => {
  const { fake, client } = await setup(t, { reply: (c) => (c === 'show hang' ? 'SILENT' : `ok ${c}`) }, 200);
  const started = Date.now();
  await assert.rejects(client.execute(['show hang']), (error: unknown) => error instanceof RuntimeCommandError && /no reply within 200 ms/.test((error as Error).message));
  assert.ok(Date.now() - started < 2000);
  assert.deepEqual(await client.execute(['show info']), ['ok show info']);
  assert.equal(fake.connections, 2);
});

test('apply: an error reply becomes a RuntimeCommandError naming the command; all commands still ran', async (t) => {
  const { fake, client } = await setup(t, { reply: (c) => (c.includes('pool_9') ? 'No such backend.' : c.startsWith('set server') ? "IP changed from '127.0.0.1' to '10.0.0.1'" : '') });
  assert.deepEqual(await client.apply(['set server pool_1/pool_1_1 addr 10.0.0.1 port 80', 'set weight pool_1/pool_1_1 5']), ["IP changed from '127.0.0.1' to '10.0.0.1'", '']);
  const bad = 'set server pool_9/pool_9_1 state ready';
  await assert.rejects(client.apply(['set weight pool_1/pool_1_1 2', bad, 'set weight pool_1/pool_1_1 3']), (error: unknown) => {
    assert.ok(error instanceof RuntimeCommandError);
    assert.equal(error.command, `${bad} -> No such backend.`);
    assert.match(error.message, /refused 1 of 3 commands: set server pool_9\/pool_9_1 state ready -> No such backend\./);
    return true;
  });
  assert.equal(fake.lines.at(-1), 'set weight pool_1/pool_1_1 3', 'a batch does not stop at an error');
});

test('commands with a line break or over the buffer size are refused before sending', async (t) => {
  const { fake, client } = await setup(t);
  await assert.rejects(client.execute(['show info\nshutdown sessions']), RuntimeCommandError);
  await assert.rejects(client.execute([`show map /${'a'.repeat(20000)}`]), /command too long/);
  assert.equal(fake.connections, 0);
  assert.equal(fake.bytesReceived(), 0);
});

test('operations layer: bad input is a ValidationError, servers.json untouched, zero bytes reach the Runtime API', async (t) => {
  const fake = await startFakeRuntime();
  const dir = await mkdtemp(join(tmpdir(), 'hop-ops-'));
  const runtime = createRuntimeClient({ address: { kind: 'tcp', host: '127.0.0.1', port: fake.port } });
  t.after(async () => {
    runtime.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });
  const store = createStateStore({ serversFile: join(dir, 'servers.json'), mapFile: join(dir, 'domains.map'), checksMapFile: join(dir, 'checks.map') });
  const initial = emptyState();
  initial.domains['a.test'] = { pool: 1, source: 'manual', servers: [{ family: 'http', slot: 1, address: '10.0.0.1', port: 80, weight: 1, state: 'ready', source: 'manual' }] };
  await store.save(initial);
  const before = await readFile(store.paths.serversFile, 'utf8');
  const beforeMtime = (await stat(store.paths.serversFile)).mtimeMs;
  const { ops } = createRouting({
    store,
    runtime,
    capacity: { pools: 5, slots: 10 },
    files: { mapFile: store.paths.mapFile, checksMapFile: store.paths.checksMapFile },
    initialState: initial,
    logger: createLogger({ level: 'silent', pretty: false }),
  });

  const cases: Array<{ desc: string; call: () => Promise<unknown>; field: string; value: unknown }> = [
    { desc: 'domain with ;', call: () => ops.addDomain({ domain: 'a.test;shutdown', ip: '10.0.0.2' }), field: 'domain', value: 'a.test;shutdown' },
    { desc: 'domain with newline', call: () => ops.addDomain({ domain: 'b.test\nshow info', ip: '10.0.0.2' }), field: 'domain', value: 'b.test\nshow info' },
    { desc: 'domain with space', call: () => ops.removeDomain({ domain: 'a.test extra' }), field: 'domain', value: 'a.test extra' },
    { desc: 'ip with ;', call: () => ops.addDomain({ domain: 'b.test', ip: '1.2.3.4;shutdown' }), field: 'ip', value: '1.2.3.4;shutdown' },
    { desc: 'ip with newline', call: () => ops.addDomain({ domain: 'b.test', ip: '1.2.3.4\nshow info' }), field: 'ip', value: '1.2.3.4\nshow info' },
    { desc: 'ip with tab', call: () => ops.addServer({ domain: 'a.test', slot: 2, ip: '1.2.3.4\tx', port: 80 }), field: 'ip', value: '1.2.3.4\tx' },
    { desc: 'slot 11', call: () => ops.addServer({ domain: 'a.test', slot: 11, ip: '10.0.0.3', port: 80 }), field: 'slot', value: 11 },
    { desc: 'slot 0', call: () => ops.setServerState({ domain: 'a.test', slot: 0, state: 'drain' }), field: 'slot', value: 0 },
    { desc: 'weight 300', call: () => ops.setServerWeight({ domain: 'a.test', slot: 1, weight: 300 }), field: 'weight', value: 300 },
    { desc: 'port 0', call: () => ops.addServer({ domain: 'a.test', slot: 2, ip: '10.0.0.3', port: 0 }), field: 'port', value: 0 },
    { desc: 'port 0 on add domain', call: () => ops.addDomain({ domain: 'b.test', ip: '10.0.0.3', port: 0 }), field: 'port', value: 0 },
    { desc: 'state up', call: () => ops.setServerState({ domain: 'a.test', slot: 1, state: 'up' as never }), field: 'state', value: 'up' },
    { desc: 'check path with ;', call: () => ops.addServer({ domain: 'a.test', slot: 2, ip: '10.0.0.3', port: 80, check: '/h;shutdown' }), field: 'check', value: '/h;shutdown' },
    { desc: 'family bogus', call: () => ops.removeServer({ domain: 'a.test', slot: 1, family: 'tcp' as never }), field: 'family', value: 'tcp' },
    { desc: 'source injection', call: () => ops.addDomain({ domain: 'b.test', ip: '10.0.0.3', source: 'container:x;y' as never }), field: 'source', value: 'container:x;y' },
    { desc: 'health of a bad domain', call: () => ops.health('a.test;show info'), field: 'domain', value: 'a.test;show info' },
  ];
  for (const c of cases) {
    await assert.rejects(c.call(), (error: unknown) => {
      assert.ok(error instanceof ValidationError, `${c.desc}: ValidationError, got ${String(error)}`);
      assert.equal(error.field, c.field, `${c.desc}: field`);
      assert.deepEqual(error.value, c.value, `${c.desc}: value`);
      assert.ok(error.message.startsWith(`${c.field}=`) && error.message.includes(JSON.stringify(c.value)), `${c.desc}: message ${error.message}`);
      return true;
    }, c.desc);
  }
  assert.equal(await readFile(store.paths.serversFile, 'utf8'), before, 'servers.json unchanged');
  assert.equal((await stat(store.paths.serversFile)).mtimeMs, beforeMtime, 'servers.json not rewritten');
  assert.deepEqual(ops.snapshot(), initial, 'desired state unchanged');
  assert.equal(fake.connections, 0, 'no connection to the Runtime API');
  assert.equal(fake.bytesReceived(), 0, 'zero bytes reached the Runtime API');

  // The same harness sees a valid change, so the zero above is not an artefact.
  await ops.addDomain({ domain: 'b.test', ip: '10.0.0.2', port: 8080 });
  assert.equal(fake.connections, 1);
  assert.ok(fake.lines.includes(`add map ${store.paths.mapFile} b.test pool_2`), fake.lines.join('\n'));
  assert.notEqual(await readFile(store.paths.serversFile, 'utf8'), before);
});
