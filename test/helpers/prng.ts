/**
 * @module A tiny seeded PRNG (mulberry32) for reproducible fuzzing: the same
 * seed gives the same sequence on every machine. FUZZ_SEED overrides the
 * default seed so a failure printed by CI can be replayed exactly.
 */

export interface Prng {
  readonly seed: number;
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  bool(): boolean;
}

/** mulberry32: 32-bit state, good enough spread for test data, trivially reproducible. */
export function createPrng(seed: number): Prng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    seed: seed >>> 0,
    next,
    int,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length - 1)]!;
    },
    bool: () => next() < 0.5,
  };
}

/** The seed for this run: FUZZ_SEED (decimal or 0x hex) when set, else `fallback`. Throws on a malformed FUZZ_SEED. */
export function fuzzSeed(fallback: number): number {
  const raw = process.env.FUZZ_SEED;
  if (raw === undefined || raw.trim() === '') return fallback >>> 0;
  const n = Number(raw.trim());
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`FUZZ_SEED=${JSON.stringify(raw)}: not an integer 0..4294967295`);
  return n >>> 0;
}
