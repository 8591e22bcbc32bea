/**
 * @module The committed states of the crash test: state i is a pure
 * function of i (its sequence number is the port of seq.test's server), so
 * the parent can tell which committed state a file holds.
 */
import { emptyState, type DesiredState } from '../../src/model/state.ts';

/** State number i (1..65535): ~20-50 domains, so each write takes a while. */
export function crashState(i: number): DesiredState {
  const state = emptyState();
  state.domains['seq.test'] = { pool: 1, source: 'manual', servers: [{ family: 'http', slot: 1, address: '127.0.0.1', port: i, weight: 1, state: 'ready', source: 'manual' }] };
  const count = 20 + (i % 31);
  for (let k = 0; k < count; k++) {
    state.domains[`d${k}-${i % 7}.test`] = {
      pool: k + 2,
      source: 'manual',
      servers: [
        { family: 'http', slot: 1, address: `10.${i % 250}.${k}.1`, port: 80, weight: (i + k) % 257, state: 'ready', source: 'manual', ...(k % 3 === 0 ? { check: `/h${i}` } : {}) },
        { family: 'ssl', slot: 1, address: `10.${i % 250}.${k}.1`, port: 443, weight: 1, state: (i + k) % 5 === 0 ? 'drain' : 'ready', source: 'manual' },
      ],
    };
  }
  return state;
}

/** Which state a loaded servers.json is (0 for the empty state). */
export function sequenceOf(state: DesiredState): number {
  return state.domains['seq.test']?.servers[0]?.port ?? 0;
}

/** Content of the 0600 key file written after state i. */
export function keyContent(i: number): string {
  return `-----BEGIN PRIVATE KEY-----\n${String(i).repeat(64).slice(0, 64)}\n-----END PRIVATE KEY-----\n`;
}
