/**
 * @module Single-writer lock on a state directory: a lock file created with
 * O_EXCL holding the owner's PID. A lock whose PID is no longer alive (the
 * owner was killed) is taken over; a live one is a LockError. proper-lockfile
 * judges staleness by mtime and needs a refresh timer; a PID is exact on one
 * host, which is the only case this operator has.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { LockError } from '../model/errors.ts';
import { isAlive } from '../os/process-alive.ts';

export interface StateLock {
  path: string;
  release(): void;
}


export function acquireLock(path: string): StateLock {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = NaN;
      try {
        owner = Number(readFileSync(path, 'utf8').trim());
      } catch {
        continue; // removed between our open and read: try again
      }
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new LockError(`state directory is in use by another operator (pid ${owner}, lock ${path})`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new LockError(`could not take the lock ${path}`);
}
