/**
 * @module Child process for the lock test: takes the lock given as argv[2],
 * prints "locked <pid>" and holds it until killed.
 */
import { acquireLock } from '../../src/store/lock.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: lock-holder.ts <lock file>');
await acquireLock(path);
process.stdout.write(`locked ${process.pid}\n`);
setInterval(() => undefined, 60_000);
