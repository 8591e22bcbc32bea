/**
 * @module Runtime API client against a fake prompt-mode server: batches keep
 * their order and never interleave, replies split across packets are
 * reassembled, a dropped connection rejects what was in flight and the next
 * call reconnects, a silent server times out, and `apply` turns an error
 * reply into a RuntimeCommandError naming the command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRuntimeClient, type RuntimeClient } from '../../src/haproxy/runtime-client.ts';
import { RuntimeCommandError } from '../../src/model/errors.ts';
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
