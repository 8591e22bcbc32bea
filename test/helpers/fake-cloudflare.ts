/**
 * @module A small fake of Cloudflare's v4 DNS API for tests: zones, TXT
 * create/list/delete, a Bearer check, and injectable 429/500/timeouts. TXT
 * values are forwarded to pebble-challtestsrv so Pebble's DNS-01 validation
 * really happens. challtestsrv's clear-txt drops every value of a name, so a
 * name is cleared there only once its last record is deleted here.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTxtRecord {
  id: string;
  zoneId: string;
  name: string;
  content: string;
}

export interface InjectedFault {
  /** 429 and 500 answer with that status; 'timeout' never answers; 'lost-answer' does the work, then never answers. */
  kind: 429 | 500 | 'timeout' | 'lost-answer';
  /** Retry-After header value for 429. */
  retryAfter?: string;
  /** Which requests it applies to (default: all). */
  match?: (method: string, path: string) => boolean;
}

export interface FakeCloudflare {
  /** API base URL to configure, e.g. http://127.0.0.1:PORT/client/v4. */
  url: string;
  records(): FakeTxtRecord[];
  /** Every request seen: method, path, status answered (0 for a held timeout). */
  requests: Array<{ method: string; path: string; status: number }>;
  /** Queue faults: each matching request consumes the first one. */
  inject(...faults: InjectedFault[]): void;
  /** Stop (false) or resume (true) forwarding TXT values to challtestsrv, to make validation fail at the CA. */
  setPublishing(on: boolean): void;
  close(): Promise<void>;
}

export interface FakeCloudflareOptions {
  token: string;
  zones: string[];
  /** challtestsrv management base URL; when set, TXT values are published there. */
  challtestsrvUrl?: string;
}

/** Starts the fake on a free loopback port. */
export async function startFakeCloudflare(opts: FakeCloudflareOptions): Promise<FakeCloudflare> {
  const zones = opts.zones.map((name, i) => ({ id: `zone${i + 1}${'0'.repeat(20)}`, name }));
  const records: FakeTxtRecord[] = [];
  const requests: FakeCloudflare['requests'] = [];
  const faults: InjectedFault[] = [];
  const held = new Set<ServerResponse>();
  let nextId = 1;
  let publishing = true;

  async function publish(name: string, added?: string): Promise<void> {
    if (!opts.challtestsrvUrl || !publishing) return;
    const host = `${name}.`;
    if (added !== undefined) {
      await post(`${opts.challtestsrvUrl}/set-txt`, { host, value: added });
      return;
    }
    // A delete: clear-txt would also drop the sibling value for a moment, and
    // the CA validates apex and wildcard in parallel, so the name is cleared
    // only when its last record is gone (a deleted value may linger until then).
    if (records.some((x) => x.name === name)) return;
    await post(`${opts.challtestsrvUrl}/clear-txt`, { host });
  }

  const dropped = new WeakSet<ServerResponse>();
  function send(res: ServerResponse, method: string, path: string, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (dropped.has(res)) {
      requests.push({ method, path, status: 0 });
      held.add(res);
      return;
    }
    requests.push({ method, path, status });
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/client\/v4/, '');
    let raw = '';
    for await (const chunk of req) raw += chunk;

    const faultIdx = faults.findIndex((f) => !f.match || f.match(method, path));
    if (faultIdx >= 0) {
      const [fault] = faults.splice(faultIdx, 1);
      if (fault!.kind === 'lost-answer') dropped.add(res);
      else if (fault!.kind === 'timeout') {
        requests.push({ method, path, status: 0 });
        held.add(res);
        return;
      }
      else {
        const headers: Record<string, string> = fault!.retryAfter !== undefined ? { 'retry-after': fault!.retryAfter } : {};
        send(res, method, path, fault!.kind, { success: false, errors: [{ code: 10000 + fault!.kind, message: 'injected fault' }] }, headers);
        return;
      }
    }
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      send(res, method, path, 403, { success: false, errors: [{ code: 10000, message: 'Authentication error' }] });
      return;
    }
    if (method === 'GET' && path === '/user/tokens/verify') {
      send(res, method, path, 200, { success: true, errors: [], result: { id: 'token1', status: 'active' } });
      return;
    }
    if (method === 'GET' && path === '/zones') {
      const name = url.searchParams.get('name');
      send(res, method, path, 200, { success: true, errors: [], result: zones.filter((z) => z.name === name) });
      return;
    }
    const m = /^\/zones\/([^/]+)\/dns_records(?:\/([^/]+))?$/.exec(path);
    const zone = m && zones.find((z) => z.id === m[1]);
    if (!m || !zone) {
      send(res, method, path, 404, { success: false, errors: [{ code: 7003, message: 'Could not route' }] });
      return;
    }
    if (method === 'POST' && !m[2]) {
      const body = JSON.parse(raw) as { type: string; name: string; content: string };
      if (body.type !== 'TXT' || !(body.name === zone.name || body.name.endsWith(`.${zone.name}`))) {
        send(res, method, path, 400, { success: false, errors: [{ code: 9000, message: 'bad record' }] });
        return;
      }
      const rec = { id: `rec${nextId++}`, zoneId: zone.id, name: body.name, content: body.content };
      records.push(rec);
      await publish(rec.name, rec.content);
      send(res, method, path, 200, { success: true, errors: [], result: { id: rec.id, type: 'TXT', name: rec.name, content: rec.content } });
      return;
    }
    if (method === 'GET' && !m[2]) {
      const name = url.searchParams.get('name');
      const list = records.filter((r) => r.zoneId === zone.id && (!name || r.name === name));
      send(res, method, path, 200, { success: true, errors: [], result: list.map((r) => ({ id: r.id, type: 'TXT', name: r.name, content: r.content })) });
      return;
    }
    if (method === 'DELETE' && m[2]) {
      const idx = records.findIndex((r) => r.id === m[2] && r.zoneId === zone.id);
      if (idx < 0) {
        send(res, method, path, 404, { success: false, errors: [{ code: 81044, message: 'Record does not exist.' }] });
        return;
      }
      const [rec] = records.splice(idx, 1);
      await publish(rec!.name);
      send(res, method, path, 200, { success: true, errors: [], result: { id: rec!.id } });
      return;
    }
    send(res, method, path, 405, { success: false, errors: [{ code: 10405, message: 'method not allowed' }] });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, req.method ?? '?', req.url ?? '?', 500, { success: false, errors: [{ code: 1, message: String(err) }] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/client/v4`,
    records: () => records.map((r) => ({ ...r })),
    requests,
    inject: (...f) => void faults.push(...f),
    setPublishing: (on) => void (publishing = on),
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`challtestsrv ${url}: HTTP ${res.status}`);
}
