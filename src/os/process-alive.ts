/** @module Whether a process exists, by PID (for stale lock and temp files of killed writers). */

/** True when a process with this PID exists (EPERM: exists, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
