/**
 * @module Child process for the crash test: continues the sequence of
 * committed states from whatever servers.json holds, saving state i+1,
 * i+2, ... through the real state store (and a 0600 key file through
 * writeFileAtomic), printing "saved <i>" after each, until killed or
 * `limit` states were written. Usage: crash-writer.ts <dir> [limit]
 */
import { join } from 'node:path';
import { createStateStore } from '../../src/store/state-store.ts';
import { removeStaleTemps, writeFileAtomic } from '../../src/os/atomic-write.ts';
import { crashState, sequenceOf, keyContent } from './crash-states.ts';

const [dir, limitArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: crash-writer.ts <dir> [limit]');
const limit = Number(limitArg ?? Infinity);
const store = createStateStore({ serversFile: join(dir, 'servers.json'), mapFile: join(dir, 'domains.map'), checksMapFile: join(dir, 'checks.map') });
let i = sequenceOf(await store.load());
// The key file is not the store's: its owner sweeps its temps, as the store does for its own.
await removeStaleTemps(join(dir, 'secret.key'));
for (let n = 0; n < limit; n++) {
  i += 1;
  await store.save(crashState(i));
  await writeFileAtomic(join(dir, 'secret.key'), keyContent(i), { mode: 0o600 });
  process.stdout.write(`saved ${i}\n`);
}
