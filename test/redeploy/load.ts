/**
 * @module A bounded load loop for redeploy tests: `connections` clients send
 * GETs back to back with a Host header, over HTTP/1.1 keep-alive or HTTP/2
 * over TLS, and record every answer that is not a 200 and every transport
 * error (reset, closed without an answer), with latencies. Loopback only;
 * it stops when asked or after `maxMs`, whichever comes first.
 */
import http from 'node:http';
import http2 from 'node:http2';

export interface LoadOptions {
  port: number;
  host: string;
  connections: number;
  /** HTTP/2 over TLS (the https frontend) instead of HTTP/1.1 keep-alive. */
  h2?: boolean;
  /** Hard stop (default 20 s): the loop is bounded even if the test forgets it. */
  maxMs?: number;
}

export interface LoadResult {
  ok: number;
  /** Non-200 answers and transport errors, each described once with its count. */
  failures: Map<string, number>;
  failed: number;
  maxMs: number;
  /** Bodies seen, with counts (which server answered). */
  bodies: Map<string, number>;
}

export interface RunningLoad {
  /** Resolves once at least `n` more requests succeeded (the load really runs). */
  progress(n: number): Promise<void>;
  stop(): Promise<LoadResult>;
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export function startLoad(opts: LoadOptions): RunningLoad {
  const result: LoadResult = { ok: 0, failures: new Map(), failed: 0, maxMs: 0, bodies: new Map() };
  let stopping = false;
  const hardStop = setTimeout(() => (stopping = true), opts.maxMs ?? 20_000);
  const waiters: Array<{ at: number; resolve: () => void }> = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const session = opts.h2 ? http2.connect(`https://127.0.0.1:${opts.port}`, { servername: opts.host, rejectUnauthorized: false }) : undefined;
  session?.on('error', () => undefined);

  function record(started: number, status: number | string, body: string): void {
    result.maxMs = Math.max(result.maxMs, performance.now() - started);
    if (status === 200) {
      result.ok += 1;
      count(result.bodies, body.trim());
      for (const w of waiters.filter((x) => result.ok >= x.at)) w.resolve();
    } else {
      result.failed += 1;
      count(result.failures, typeof status === 'number' ? `${status} ${body.trim().slice(0, 80)}` : status);
    }
  }

  function once(): Promise<void> {
    const started = performance.now();
    return new Promise((resolve) => {
      if (session) {
        const req = session.request({ ':path': '/', ':authority': opts.host });
        let status = 0;
        let body = '';
        req.setEncoding('utf8');
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (c: string) => (body += c));
        req.on('end', () => (record(started, status, body), resolve()));
        req.on('error', (e: Error) => (record(started, `h2 error: ${e.message}`, ''), resolve()));
        req.end();
        return;
      }
      const req = http.get({ host: '127.0.0.1', port: opts.port, path: '/', headers: { host: opts.host }, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (record(started, res.statusCode ?? 0, body), resolve()));
        res.on('error', (e) => (record(started, `response error: ${e.message}`, ''), resolve()));
      });
      req.on('error', (e) => (record(started, `request error: ${e.message}`, ''), resolve()));
    });
  }

  const workers = Array.from({ length: opts.connections }, async () => {
    while (!stopping) await once();
  });

  return {
    progress(n) {
      return new Promise((resolve) => waiters.push({ at: result.ok + n, resolve }));
    },
    async stop() {
      stopping = true;
      await Promise.all(workers);
      clearTimeout(hardStop);
      agent.destroy();
      session?.close();
      return result;
    },
  };
}

/** "0 failed" or the failures, for assertion messages. */
export function describeFailures(r: LoadResult): string {
  return `${r.ok} ok, ${r.failed} failed${r.failed ? `: ${[...r.failures].map(([k, n]) => `${n}x ${k}`).join('; ')}` : ''}, longest ${Math.round(r.maxMs)} ms`;
}
