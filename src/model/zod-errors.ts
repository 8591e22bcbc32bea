/**
 * @module Converts zod issues into ValidationErrors that name the field path
 * and the bad value, the one error format every input path reports.
 */
import { z } from 'zod';
import { ValidationError, OperatorError } from './errors.ts';

/** One problem found in an input, with its field path and the offending value. */
export const FieldProblem = z.object({ field: z.string(), value: z.unknown(), message: z.string() });
export type FieldProblem = z.infer<typeof FieldProblem>;

/** The value at `path` inside `input`, or undefined where the path leaves the object. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Lists every zod issue as a field problem; `prefix` is prepended to paths. */
export function fieldProblems(error: z.ZodError, input: unknown, prefix = ''): FieldProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    const field = [prefix, ...path].filter((p) => p !== '').join('.') || prefix || '(input)';
    return { field, value: valueAt(input, issue.path as PropertyKey[]), message: issue.message };
  });
}

/** Several validation problems at once, each naming its field and value. */
export class ValidationErrors extends OperatorError {
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => new ValidationError(p.field, p.value, p.message).message).join('; '));
  }
}

/** Parses `input` with `schema`, or throws ValidationErrors naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = fieldProblems(result.error, input, prefix);
  if (problems.length === 1) {
    const [p] = problems;
    throw new ValidationError(p!.field, p!.value, p!.message);
  }
  throw new ValidationErrors(problems);
}
