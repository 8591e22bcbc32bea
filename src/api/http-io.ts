/**
 * @module Request and response plumbing of the JSON API: reading a body
 * with a size limit, sending JSON, and turning thrown errors into status
 * codes with an {error} body that names the field and the value. Messages
 * of the operator's own errors are meant for users; anything else is logged
 * and answered with a generic 500 so internals do not leak.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { CapacityError, ConflictError, LockError, NotFoundError, OperatorError, ValidationError } from '../model/errors.ts';
import type { z } from 'zod';
import { parseOrThrow, ValidationErrors } from '../model/zod-errors.ts';
import type { ApiErrorBody } from './protocol.ts';

/** An error that already knows its HTTP status (bad body, wrong method, feature not configured). */
export class HttpError extends OperatorError {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Sends `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** Reads the whole body as UTF-8; throws HttpError 413 past `limit` bytes (the rest is not read). */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `request body of ${declared} bytes is larger than the limit of ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `request body is larger than the limit of ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a JSON object body; 400 when it is not JSON or not an object. */
export async function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const text = await readBody(req, limit);
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new ValidationError('body', text.slice(0, 60), 'not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ValidationError('body', value, 'expected a JSON object');
  return value as Record<string, unknown>;
}

/** The query string parsed with `schema`, once (a repeated parameter counts by its first value); 400 naming the parameter otherwise. */
export function parseQuery<S extends z.ZodType>(schema: S, url: URL): z.output<S> {
  const params: Record<string, string> = {};
  for (const [name, value] of url.searchParams) if (!(name in params)) params[name] = value;
  return parseOrThrow(schema, params);
}

/** A JSON object body parsed with `schema`, once. */
export async function parseJsonBody<S extends z.ZodType>(schema: S, req: IncomingMessage, limit: number): Promise<z.output<S>> {
  return parseOrThrow(schema, await readJsonObject(req, limit));
}

/** The status and body for a thrown error. */
export function errorResponse(err: unknown): { status: number; body: ApiErrorBody; headers: Record<string, string> } {
  if (err instanceof HttpError) return { status: err.status, body: { error: err.message }, headers: err.headers };
  if (err instanceof ValidationError) return { status: 400, body: { error: err.message, field: err.field, value: err.value, reason: err.reason }, headers: {} };
  if (err instanceof ValidationErrors) return { status: 400, body: { error: err.message, problems: err.problems }, headers: {} };
  if (err instanceof NotFoundError) return { status: 404, body: { error: err.message }, headers: {} };
  if (err instanceof ConflictError || err instanceof CapacityError || err instanceof LockError) return { status: 409, body: { error: err.message }, headers: {} };
  if (err instanceof OperatorError) return { status: 500, body: { error: err.message }, headers: {} };
  return { status: 500, body: { error: 'internal error; see the operator log' }, headers: {} };
}

/**
 * Answers with the error's status. A client's mistake (bad input, a feature
 * this operator was not started with) is logged at info and our own refusals
 * at warn, by message; only the unexpected gets error with its stack.
 */
export function sendError(res: ServerResponse, err: unknown, log: Logger, path: string): void {
  const { status, body, headers } = errorResponse(err);
  if (!(err instanceof OperatorError)) log.error({ err, path }, 'API request failed');
  else if (status < 500 || err instanceof HttpError) log.info({ path, status, error: err.message }, 'API request refused');
  else log.warn({ path, status, error: err.message }, 'API request failed');
  sendJson(res, status, body, headers);
}
