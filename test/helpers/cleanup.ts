/**
 * @module Cleanup in reverse order of setup. node:test runs `t.after` hooks
 * in registration order, so a state directory registered for removal before
 * the operator that writes into it would go first (ENOTEMPTY flakes).
 */
import type { TestContext } from 'node:test';

/** Returns `defer(fn)`: every deferred step runs after the test, last registered first, even on failure. */
export function deferCleanup(t: TestContext): (step: () => unknown) => void {
  const steps: Array<() => unknown> = [];
  t.after(async () => {
    const errors: unknown[] = [];
    while (steps.length) {
      try {
        await steps.pop()!();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length) throw errors[0];
  });
  return (step) => steps.push(step);
}
