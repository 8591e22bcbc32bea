/**
 * @module Polling with a deadline: the one way tests wait for something to
 * happen (no fixed sleeps). The returned promise resolves with the first
 * truthy value `fn` produces.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this many milliseconds (default 10000). */
  timeoutMs?: number;
  /** Pause between attempts in milliseconds (default 25). */
  intervalMs?: number;
  /** Describes what was awaited; it becomes the timeout error's message. */
  message?: string;
}

/**
 * Calls `fn` until it returns a truthy value and resolves with it; throws when
 * the deadline passes, with `message` and the last error `fn` threw (if any)
 * as the cause, so a failing test says what it was waiting for.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = opts.message ?? 'condition';
      const detail = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`, { cause: lastError });
    }
    await delay(intervalMs);
  }
}
