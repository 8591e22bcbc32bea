/**
 * @module The steady host's single replica: a small HTTP server in its own
 * process on a fixed loopback port, so that it can be stopped (SIGTERM, like
 * a container stop) and started again on the same port, identically for
 * every engine.
 */
import { join } from 'node:path';
import { pollUntil } from '../../src/os/process-util.ts';
import { get } from '../../test/helpers/http.ts';
import { hasExited, startChild, type Child } from './child.ts';

const SERVER = `
const http = require('node:http');
const [port, body] = process.argv.slice(1);
http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(body); })
  .listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

export interface Replica {
  readonly port: number;
  readonly body: string;
  /** Starts the process and resolves when it answers. */
  start(): Promise<void>;
  /** SIGTERM; resolves when it has exited. */
  stop(): Promise<void>;
}

export function replica(port: number, body: string, logDir: string): Replica {
  let child: Child | undefined;
  return {
    port,
    body,
    async start() {
      const c = startChild(process.execPath, ['-e', SERVER, String(port), body], join(logDir, `replica-${port}.log`));
      child = c;
      const up = async () => hasExited(c) || (await get(port, 'replica').then((r) => r.body === body, () => false));
      if (!(await pollUntil(up, 10_000, 5)) || hasExited(c)) throw new Error(`replica on port ${port} did not start: ${c.output()}`);
    },
    async stop() {
      await child?.stop('SIGTERM');
      child = undefined;
    },
  };
}
