/**
 * @module Paging of list tools: `limit` and an opaque `cursor`, so an
 * agent's context never has to hold a whole install (3000 slots, 300
 * backends) at once. A cursor is the sort key of the last item returned, so
 * a page stays correct when items are added or removed between calls.
 */
import { z } from 'zod';
import { wholeNumber } from '../model/names.ts';

/** The `limit` argument: 1..max, `def` when omitted. */
export function limitArg(def: number, max: number) {
  return wholeNumber(`not a limit (1-${max})`, 1, max)
    .optional()
    .describe(`How many items to return, 1-${max} (default ${def}); the answer's nextCursor fetches the rest`);
}

export const CursorArg = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,400}$/, { message: 'not a cursor (pass nextCursor of the previous answer as it is)' })
  .optional()
  .describe('nextCursor of the previous answer, to fetch the next page');

/** Fields every paged answer carries. */
export const PageOut = {
  total: z.number().describe('Items that match, over all pages'),
  nextCursor: z.string().optional().describe('Pass as cursor to fetch the next page; absent on the last page'),
};

/** Natural order of names such as pool_2 < pool_10. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export interface Page<T> {
  items: T[];
  total: number;
  nextCursor?: string;
}

/**
 * One page of `items` (any order: they are sorted by `key` here), starting
 * after the item whose key the cursor holds. Throws nothing: a cursor that
 * does not decode starts after nothing it matches, i.e. past every smaller key.
 */
export function paginate<T>(items: readonly T[], key: (item: T) => string, limit: number, cursor?: string): Page<T> {
  const sorted = [...items].sort((a, b) => naturalCompare(key(a), key(b)));
  const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
  const rest = after === undefined ? sorted : sorted.filter((item) => naturalCompare(key(item), after) > 0);
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page,
    total: sorted.length,
    ...(rest.length > limit && last !== undefined ? { nextCursor: Buffer.from(key(last), 'utf8').toString('base64url') } : {}),
  };
}
