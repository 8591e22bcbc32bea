/** @module Small process helpers for supervising HAProxy by PID. */
import { readFileSync } from 'node:fs';

/** True when `pid` is alive and its command line contains `needle` (guards against PID reuse). */
export function isProcess(pid: number, needle: string): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmdline.includes(needle);
  } catch {
    return false;
  }
}

/** Sends a signal if the process is the one we expect; returns whether it was sent. */
export function signalIf(pid: number, needle: string, signal: NodeJS.Signals): boolean {
  if (!isProcess(pid, needle)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `fn` returns true or the deadline passes; returns the last result. */
export async function pollUntil(fn: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
