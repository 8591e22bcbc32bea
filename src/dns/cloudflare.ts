/**
 * @module Cloudflare v4 DNS records over plain fetch: find the zone of a name,
 * create a TXT record, delete it by id. 429 (with Retry-After) and 5xx are
 * retried with backoff; 401/403 become a clear error naming the zone or name.
 * The token is sent only in the Authorization header and never logged.
 */
import type { Logger } from 'pino';
import { OperatorError } from '../model/errors.ts';
import type { SecretToken } from './credentials.ts';
import type { TxtRecordRef } from './types.ts';

export const DEFAULT_CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4';

/** Cloudflare refused or failed a request; `status` is the HTTP status (0 for network errors). */
export class CloudflareError extends OperatorError {
  constructor(
    message: string,
    readonly status: number,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
  /** Cloudflare's Retry-After on the last 429, for the certificate's backoff. */
  retryAfterMs?: number;
}

export interface CloudflareDeps {
  token: SecretToken;
  logger: Logger;
  /** API base URL, default https://api.cloudflare.com/client/v4. */
  apiBaseUrl?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per request including the first (default 5). */
  attempts?: number;
  /** First backoff delay in ms (default 500), doubled each retry up to `maxDelayMs` (default 10000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-request timeout in ms (default 15000). */
  requestTimeoutMs?: number;
}

export interface CloudflareClient {
  /** Finds the zone holding `name` by walking up its labels; throws CloudflareError if none. */
  findZone(name: string): Promise<{ id: string; name: string }>;
  createTxt(name: string, value: string): Promise<TxtRecordRef>;
  deleteTxt(ref: TxtRecordRef): Promise<void>;
  listTxt(zoneId: string, name: string): Promise<Array<{ id: string; content: string }>>;
  /** Asks Cloudflare whether the token is valid and active; throws CloudflareError with its answer. */
  verifyToken(): Promise<void>;
}

interface CfEnvelope<T> {
  success?: boolean;
  errors?: Array<{ code?: number; message?: string }>;
  result?: T;
}

/** Seconds from a Retry-After header (delta or HTTP date), in ms; undefined when absent or bad. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function cfMessages(body: CfEnvelope<unknown> | undefined): string {
  const list = body?.errors?.map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).filter(Boolean) ?? [];
  return list.length ? ` (${list.join('; ').slice(0, 300)})` : '';
}

/** Creates a Cloudflare DNS client bound to one token. */
export function createCloudflareClient(deps: CloudflareDeps): CloudflareClient {
  const base = (deps.apiBaseUrl ?? DEFAULT_CLOUDFLARE_API).replace(/\/+$/, '');
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = deps.attempts ?? 5;
  const baseDelay = deps.baseDelayMs ?? 500;
  const maxDelay = deps.maxDelayMs ?? 10_000;
  const timeoutMs = deps.requestTimeoutMs ?? 15_000;
  const log = deps.logger;
  const zoneCache = new Map<string, { id: string; name: string }>();

  /** `what` names the zone or record for error messages. */
  /**
   * `alreadyDone` runs before retrying a request that got no answer: a POST
   * that timed out here may have created the record there, and a second POST
   * would leave an orphan TXT value that nobody deletes.
   */
  async function call<T>(
    method: string,
    path: string,
    what: string,
    body?: unknown,
    alreadyDone?: () => Promise<{ status: number; body: CfEnvelope<T> } | undefined>,
  ): Promise<{ status: number; body: CfEnvelope<T> | undefined }> {
    let lastError = '';
    let retryAfter: number | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let res: Response;
      try {
        res = await doFetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${deps.token.reveal()}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        lastError = `network error: ${(err as Error).name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : (err as Error).message}`;
        const last = attempt === attempts;
        const delay = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
        if (!last) log.warn({ method, path, attempt, delayMs: delay, error: lastError }, 'cloudflare request failed, retrying');
        await sleep(delay);
        // Also after the last attempt: a record made without our knowing would be left for nobody to delete.
        const done = await alreadyDone?.().catch(() => undefined);
        if (done) return done;
        if (last) break;
        continue;
      }
      const text = await res.text();
      let parsed: CfEnvelope<T> | undefined;
      try {
        parsed = text ? (JSON.parse(text) as CfEnvelope<T>) : undefined;
      } catch {
        parsed = undefined;
      }
      if (res.status === 401 || res.status === 403) {
        throw new CloudflareError(
          `cloudflare refused the API token for ${what}: HTTP ${res.status}${cfMessages(parsed)}; check that the token (from ${deps.token.source}) has Zone:DNS:Edit on that zone`,
          res.status,
        );
      }
      if (res.status === 429 || res.status >= 500) {
        lastError = `HTTP ${res.status}${cfMessages(parsed)}`;
        if (attempt === attempts) break;
        const hinted = res.status === 429 ? retryAfterMs(res.headers.get('retry-after'), Date.now()) : undefined;
        retryAfter = hinted;
        const delay = Math.min(hinted ?? baseDelay * 2 ** (attempt - 1), Math.max(maxDelay, hinted ?? 0));
        log.warn({ method, path, attempt, status: res.status, delayMs: delay }, 'cloudflare request throttled or failed, retrying');
        await sleep(delay);
        continue;
      }
      return { status: res.status, body: parsed };
    }
    throw new CloudflareError(`cloudflare ${method} for ${what} failed after ${attempts} attempts: ${lastError}`, 0, retryAfter !== undefined ? { retryAfterMs: retryAfter } : {});
  }

  async function findZone(name: string): Promise<{ id: string; name: string }> {
    const labels = name.replace(/\.$/, '').toLowerCase().split('.');
    // `_acme-challenge` and other underscore labels are never zones: skip the lookups.
    const first = labels.findIndex((l) => !l.startsWith('_'));
    for (let i = Math.max(first, 0); i <= labels.length - 2; i++) {
      const candidate = labels.slice(i).join('.');
      const cached = zoneCache.get(candidate);
      if (cached) return cached;
      const { status, body } = await call<Array<{ id: string; name: string }>>(
        'GET',
        `/zones?name=${encodeURIComponent(candidate)}`,
        candidate === name ? `zone ${candidate}` : `zone ${candidate} (looking up ${name})`,
      );
      if (status >= 400 || body?.success === false) {
        throw new CloudflareError(`cloudflare zone lookup for ${candidate} failed: HTTP ${status}${cfMessages(body)}`, status);
      }
      const zone = body?.result?.find((z) => z.name === candidate);
      if (zone) {
        zoneCache.set(candidate, { id: zone.id, name: zone.name });
        return { id: zone.id, name: zone.name };
      }
    }
    throw new CloudflareError(`no cloudflare zone found for ${name} (tried every parent name); is the domain on this account?`, 404);
  }

  async function createTxt(name: string, value: string): Promise<TxtRecordRef> {
    const fqdn = name.replace(/\.$/, '').toLowerCase();
    const zone = await findZone(fqdn);
    const adopt = async () => {
      const found = (await listTxt(zone.id, fqdn)).find((r) => r.content === value);
      return found ? { status: 200, body: { success: true, result: { id: found.id } } } : undefined;
    };
    const { status, body } = await call<{ id: string }>('POST', `/zones/${zone.id}/dns_records`, `TXT ${fqdn} in zone ${zone.name}`, { type: 'TXT', name: fqdn, content: value, ttl: 60 }, adopt);
    if (status >= 400 || !body?.success || !body.result?.id) {
      throw new CloudflareError(`cloudflare could not create TXT ${fqdn} in zone ${zone.name}: HTTP ${status}${cfMessages(body)}`, status);
    }
    log.info({ record: fqdn, zone: zone.name, id: body.result.id }, 'created TXT record');
    return { id: body.result.id, zoneId: zone.id, zoneName: zone.name, name: fqdn, value };
  }

  async function deleteTxt(ref: TxtRecordRef): Promise<void> {
    const { status, body } = await call('DELETE', `/zones/${ref.zoneId}/dns_records/${encodeURIComponent(ref.id)}`, `TXT ${ref.name} in zone ${ref.zoneName}`);
    if (status === 404) return;
    if (status >= 400 || body?.success === false) {
      throw new CloudflareError(`cloudflare could not delete TXT ${ref.name} (id ${ref.id}) in zone ${ref.zoneName}: HTTP ${status}${cfMessages(body)}`, status);
    }
    log.info({ record: ref.name, zone: ref.zoneName, id: ref.id }, 'deleted TXT record');
  }

  async function listTxt(zoneId: string, name: string): Promise<Array<{ id: string; content: string }>> {
    const { status, body } = await call<Array<{ id: string; content: string }>>(
      'GET',
      `/zones/${zoneId}/dns_records?type=TXT&name=${encodeURIComponent(name)}`,
      `TXT ${name}`,
    );
    if (status >= 400) throw new CloudflareError(`cloudflare could not list TXT ${name}: HTTP ${status}${cfMessages(body)}`, status);
    return body?.result ?? [];
  }

  async function verifyToken(): Promise<void> {
    const { status, body } = await call<{ status?: string }>('GET', '/user/tokens/verify', 'token verification');
    if (status >= 400 || body?.success === false) {
      throw new CloudflareError(`cloudflare token verification failed: HTTP ${status}${cfMessages(body)} (token from ${deps.token.source})`, status);
    }
    if (body?.result?.status && body.result.status !== 'active') {
      throw new CloudflareError(`cloudflare says the token (from ${deps.token.source}) is ${body.result.status}, not active`, status);
    }
  }

  return { findZone, createTxt, deleteTxt, listTxt, verifyToken };
}
