/**
 * @module Import of a fixture install of the original gives identical
 * routing through a real HAProxy: every host in its domains.map answers from
 * the servers of the same pool, shared pools and empty pools included.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { haproxyMissing, startTestOperator, testEachHaproxy } from '../helpers/haproxy.ts';
import { get, startBackend } from '../helpers/http.ts';
import { commands } from '../../src/haproxy/commands.ts';
import { importOriginal } from '../../src/migrate/import-original.ts';
import { parseDomainsMap } from '../../src/migrate/domains-map.ts';
import { writeOriginalInstall } from './original-install.ts';
import { deferCleanup } from '../helpers/cleanup.ts';

const skip = haproxyMissing();

testEachHaproxy('every host of the original domains.map answers through HAProxy from the same pool after import', { skip }, async (t, haproxy) => {
  const defer = deferCleanup(t);
  const [a1, a2, b, c] = await Promise.all(['a-one', 'a-two', 'b-one', 'c-three'].map((n) => startBackend(n)));
  defer(() => Promise.all([a1, a2, b, c].map((x) => x!.close())));
  const MAP = 'a.test pool_2\nwww.a.test pool_2\nb.test pool_5\nc.test pool_7\nempty.test pool_3\n';
  const inst = await writeOriginalInstall({
    map: MAP,
    // Three shapes in one file, as a hand-edited original might have.
    servers: {
      'a.test': { '1': { ip: '127.0.0.1', port: a1!.port }, '2': { ip: '127.0.0.1', port: String(a2!.port) } },
      pool_5: { pool_5_1: { addr: '127.0.0.1', port: b!.port } },
      'c.test': [{ slot: 3, ip: '127.0.0.1', port: c!.port }],
    },
  });
  defer(() => rm(inst.root, { recursive: true, force: true }));
  const stateDir = await mkdtemp(join(tmpdir(), 'hop-import-'));
  defer(() => rm(stateDir, { recursive: true, force: true }));

  const { report } = await importOriginal(
    { from: inst.from, confDir: stateDir, certDir: join(stateDir, 'certs'), cloudflareIni: inst.cloudflareIni, pools: 10, slots: 10 },
    { logger: pino({ level: 'silent' }), now: () => new Date() },
  );
  assert.deepEqual(report.problems, []);

  const h = await startTestOperator({ stateDir, pools: 10, haproxy });
  defer(() => h.stop());

  // The live map is the original's: same hosts, same pools.
  const [live] = await h.operator.runtime.execute([commands.showMap(join(stateDir, 'domains.map'))]);
  const liveRoutes = live!.trim().split('\n').map((l) => l.split(/\s+/).slice(1).join(' ')).sort();
  const original = parseDomainsMap(MAP).entries.map((e) => `${e.host} pool_${e.pool}`).sort();
  assert.deepEqual(liveRoutes, original);

  const answers = async (host: string, n: number) => {
    const bodies = new Set<string>();
    for (let i = 0; i < n; i++) {
      const r = await get(h.httpPort, host);
      assert.equal(r.status, 200, `${host} answers`);
      bodies.add(r.body);
    }
    return [...bodies].sort();
  };
  assert.deepEqual(await answers('a.test', 6), ['a-one', 'a-two']);
  assert.deepEqual(await answers('www.a.test', 6), ['a-one', 'a-two'], 'a host sharing pool_2 is served by the same servers');
  assert.deepEqual(await answers('b.test', 2), ['b-one']);
  assert.deepEqual(await answers('c.test', 2), ['c-three']);
  const empty = await get(h.httpPort, 'empty.test');
  assert.equal(empty.status, 503, 'a routed host with no servers answers 503, as in the original');
  assert.doesNotMatch(empty.body, /no route for host/, 'it is routed to its pool, not unknown');
});
