/**
 * @module The real operations layer over a real state store in a temp dir,
 * whose Runtime API client points at a recording fake (prompt-mode TCP
 * server), so a fuzz case can prove it sent nothing and changed nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { manualRoute } from '../helpers/state.ts';
import { createRouting } from '../../src/wiring/routing.ts';
import { createRuntimeClient } from '../../src/haproxy/runtime-client.ts';
import { createStateStore, type StateStore } from '../../src/store/state-store.ts';
import { emptyState, type DesiredState } from '../../src/model/state.ts';
import { startFakeRuntime, type FakeRuntime } from '../haproxy/fake-runtime.ts';

export interface RecordingOps {
  ops: ReturnType<typeof createRouting>['ops'];
  fake: FakeRuntime;
  store: StateStore;
  dir: string;
  /** servers.json as bytes right now. */
  serversBytes(): Promise<Buffer>;
  /** Command lines that change HAProxy (anything but `show ...`). */
  mutating(): string[];
  close(): Promise<void>;
}

/** One routed domain (a.test, pool 1, slot 1) so server tools have something to aim at. */
export function seededState(): DesiredState {
  const state = emptyState();
  state.domains['a.test'] = manualRoute(1);
  return state;
}

export async function startRecordingOps(initial: DesiredState = seededState()): Promise<RecordingOps> {
  const fake = await startFakeRuntime();
  const dir = await mkdtemp(join(tmpdir(), 'hop-fuzz-'));
  const runtime = createRuntimeClient({ address: { kind: 'tcp', host: '127.0.0.1', port: fake.port } });
  const store = createStateStore({ serversFile: join(dir, 'servers.json'), mapFile: join(dir, 'domains.map'), checksMapFile: join(dir, 'checks.map') });
  await store.save(initial);
  const { ops } = createRouting({
    store,
    runtime,
    capacity: { pools: 5, slots: 10 },
    files: { mapFile: store.paths.mapFile, checksMapFile: store.paths.checksMapFile },
    initialState: structuredClone(initial),
    logger: pino({ level: 'silent' }),
  });
  return {
    ops,
    fake,
    store,
    dir,
    serversBytes: () => readFile(store.paths.serversFile),
    mutating: () => fake.lines.filter((l) => !l.startsWith('show ')),
    async close() {
      runtime.close();
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
