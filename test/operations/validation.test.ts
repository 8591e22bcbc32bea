/**
 * @module The key proof of the foundation issue, through the real
 * operations layer, runner and adapter: bad input is a ValidationError
 * naming field and value, servers.json is not written, and the Runtime API
 * (a recording fake) receives zero bytes, not even a connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualRoute } from '../helpers/state.ts';
import { createRuntimeClient } from '../../src/haproxy/runtime-client.ts';
import { ValidationError } from '../../src/model/errors.ts';
import { createRouting } from '../../src/wiring/routing.ts';
import { createStateStore } from '../../src/store/state-store.ts';
import { emptyState } from '../../src/model/state.ts';
import { createLogger } from '../../src/log.ts';
import { startFakeRuntime } from '../haproxy/fake-runtime.ts';

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
  initial.domains['a.test'] = manualRoute(1);
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
