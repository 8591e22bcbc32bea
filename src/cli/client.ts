/**
 * @module The CLI's HTTP client for the operator's /api/v1: one request per
 * call, the bearer token in the Authorization header (never in a message),
 * and errors a person can act on: the operator not running, a refused
 * token, a 400 turned back into a ValidationError naming the field.
 */
import { request } from 'node:http';
import { NotFoundError, OperatorError, ValidationError } from '../model/errors.ts';
import { ApiErrorBody } from '../api/protocol.ts';
import type { Connection } from './connection.ts';

/** The operator answered with an error status; `body` is its JSON (or text) answer. */
export class ApiError extends OperatorError {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** The operator could not be reached at all. */
export class UnreachableError extends OperatorError {}

export interface ApiRequest {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | undefined>;
  /** Sent as is; with `json` it is serialised. */
  body?: string;
  json?: unknown;
  /** Give up after this long, ms (default 60 s; certificate orders need minutes). */
  timeoutMs?: number;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

export interface ApiClient {
  /** Sends one request; resolves with any status (the caller decides), rejects only when unreachable. */
  send(req: ApiRequest): Promise<ApiResponse>;
  /** Sends and returns the body of a 2xx answer; throws ApiError / ValidationError / NotFoundError otherwise. */
  call<T>(req: ApiRequest): Promise<T>;
  /** The error to throw for a non-2xx answer from send(). */
  errorOf(res: ApiResponse): OperatorError;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
};

function parseBody(text: string, contentType: string | undefined): unknown {
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Turns an error answer into the error the CLI prints. */
export function errorFromResponse(res: ApiResponse, conn: Pick<Connection, 'token'>): OperatorError {
  const body = res.body;
  const parsed = ApiErrorBody.safeParse(body);
  const message = parsed.success ? parsed.data.error : String(body).trim() || `HTTP ${res.status}`;
  if (res.status === 400 && parsed.success && parsed.data.field !== undefined) {
    return new ValidationError(parsed.data.field, parsed.data.value, parsed.data.reason ?? message);
  }
  if (res.status === 401) {
    const hint = conn.token ? 'the token given was refused; check --mcp-token-file or HAPROXY_OPERATOR_MCP_TOKEN' : 'give a token with --mcp-token-file or HAPROXY_OPERATOR_MCP_TOKEN';
    return new ApiError(401, `the operator refused the request (${message}): ${hint}`, body);
  }
  if (res.status === 404 && typeof body === 'object') return new NotFoundError(message);
  if (res.status === 404) return new ApiError(404, `the operator has no such API (${message}): is it an older version?`, body);
  return new ApiError(res.status, message, body);
}

/** Creates a client for the operator at `conn`. */
export function createApiClient(conn: Connection): ApiClient {
  function send(req: ApiRequest): Promise<ApiResponse> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) params.set(k, v);
    const qs = params.toString();
    const payload = req.json !== undefined ? JSON.stringify(req.json) : req.body;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (conn.token) headers.authorization = `Bearer ${conn.token}`;
    if (payload !== undefined) {
      headers['content-type'] = req.json !== undefined ? 'application/json' : 'application/yaml';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const timeoutMs = req.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const r = request(
        { host: conn.host, port: conn.port, method: req.method, path: `${req.path}${qs ? `?${qs}` : ''}`, headers, agent: false, timeout: timeoutMs },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parseBody(text, res.headers['content-type']) }));
          res.on('error', reject);
        },
      );
      let connected = false;
      r.on('socket', (s) => s.once('connect', () => (connected = true)));
      r.on('timeout', () => r.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      r.on('error', (err: NodeJS.ErrnoException) => {
        const why = (err.code && REASONS[err.code]) ?? err.message;
        if (connected && err.code === 'ETIMEDOUT') reject(new OperatorError(`the operator at ${conn.baseUrl} did not answer within ${Math.round(timeoutMs / 1000)} s`, { cause: err }));
        else if (connected) reject(new OperatorError(`the connection to the operator at ${conn.baseUrl} failed: ${why}`, { cause: err }));
        else reject(new UnreachableError(`cannot reach the operator at ${conn.baseUrl}: ${why}; is it running?`, { cause: err }));
      });
      r.end(payload);
    });
  }

  return {
    send,
    async call<T>(req: ApiRequest): Promise<T> {
      const res = await send(req);
      if (res.status >= 200 && res.status < 300) return res.body as T;
      throw errorFromResponse(res, conn);
    },
    errorOf: (res) => errorFromResponse(res, conn),
  };
}
