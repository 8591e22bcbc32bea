/**
 * @module One persistent Runtime API connection in prompt mode, with a queue
 * so batches never interleave. Commands of a batch are pipelined in one write
 * (about 60,000 commands/s here, against ~435/s for one connection per
 * command); replies are split on the prompt and matched by position.
 * Strings must come from commands.ts, which validates every argument.
 */
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { RuntimeCommandError } from '../model/errors.ts';
import { isErrorReply } from './commands.ts';
import { formatRuntimeAddress, type RuntimeAddress } from '../model/runtime-address.ts';
import { redactHashes } from '../model/access-rules.ts';

const PROMPT = '\n> ';
/** HAProxy drops a command line longer than its buffer (~16 KB) without a reply. */
const MAX_COMMAND = 15000;

export interface RuntimeClient {
  /** Sends commands in order; resolves with one reply per command (prompt stripped, trimmed). */
  execute(commands: readonly string[]): Promise<string[]>;
  /** Like execute, but throws RuntimeCommandError on the first reply that reports an error (after all ran). */
  apply(commands: readonly string[]): Promise<string[]>;
  /** Sends one command on a fresh connection without prompt mode (for multi-line payloads). */
  oneShot(command: string): Promise<string>;
  close(): void;
  /**
   * Drops the persistent connection; the next call opens a new one. After a
   * reload the old worker keeps serving an open connection until it exits,
   * so a client that must talk to the new worker resets first.
   */
  reset(): void;
  readonly address: RuntimeAddress;
  /** Total commands sent, for metrics. */
  readonly sent: number;
  /** Changes whenever the persistent connection opens or ends: HAProxy at the other end may be a new process. */
  readonly epoch: number;
}

export interface RuntimeClientDeps {
  address: RuntimeAddress;
  logger?: Logger;
  timeoutMs?: number;
}

interface Pending {
  count: number;
  replies: string[];
  resolve: (replies: string[]) => void;
  reject: (error: Error) => void;
}

function openSocket(address: RuntimeAddress): Socket {
  return address.kind === 'tcp' ? connect({ host: address.host, port: address.port }) : connect({ path: address.path });
}

function checkCommand(command: string): void {
  if (command.length > MAX_COMMAND) throw new RuntimeCommandError(`command too long (${command.length} bytes)`, command.slice(0, 80));
  if (/[\r\n]/.test(command)) throw new RuntimeCommandError('command contains a line break', command.slice(0, 80));
}

export function createRuntimeClient(deps: RuntimeClientDeps): RuntimeClient {
  const { address } = deps;
  const timeoutMs = deps.timeoutMs ?? 10000;
  const where = formatRuntimeAddress(address);
  let socket: Socket | undefined;
  let ready: Promise<Socket> | undefined;
  let buffer = '';
  let greeting = false;
  let pending: Pending | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let sent = 0;
  let epoch = 0;

  function fail(error: Error): void {
    const p = pending;
    pending = undefined;
    if (socket) epoch += 1;
    socket?.destroy();
    socket = undefined;
    ready = undefined;
    p?.reject(error);
  }

  function onData(chunk: string): void {
    buffer += chunk;
    for (;;) {
      const at = buffer.indexOf(PROMPT);
      if (at < 0) return;
      const reply = buffer.slice(0, at);
      buffer = buffer.slice(at + PROMPT.length);
      if (!greeting) {
        greeting = true; // the reply to "prompt" itself
        continue;
      }
      const p = pending;
      if (!p) continue;
      p.replies.push(reply.trim());
      if (p.replies.length === p.count) {
        pending = undefined;
        p.resolve(p.replies);
      }
    }
  }

  function ensureSocket(): Promise<Socket> {
    if (ready) return ready;
    ready = new Promise<Socket>((resolve, reject) => {
      const s = openSocket(address);
      // Set now, not on connect: events of an older socket must not touch this one.
      socket = s;
      epoch += 1;
      s.setEncoding('utf8');
      s.setNoDelay?.(true);
      buffer = '';
      greeting = false;
      const onError = (error: Error) => {
        reject(new RuntimeCommandError(`runtime API ${where}: ${error.message}`, undefined, { cause: error }));
        if (socket === s) fail(new RuntimeCommandError(`runtime API ${where}: ${error.message}`, undefined, { cause: error }));
      };
      s.once('connect', () => {
        s.write('prompt\n');
        resolve(s);
      });
      s.on('data', (chunk: string) => {
        if (socket === s) onData(chunk);
      });
      s.on('error', onError);
      s.on('close', () => {
        reject(new RuntimeCommandError(`runtime API ${where}: connection closed`));
        if (socket === s) fail(new RuntimeCommandError(`runtime API ${where}: connection closed`));
      });
    });
    ready.catch(() => undefined);
    return ready;
  }

  async function run(commands: readonly string[]): Promise<string[]> {
    if (commands.length === 0) return [];
    for (const c of commands) checkCommand(c);
    const s = await ensureSocket();
    return await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => fail(new RuntimeCommandError(`runtime API ${where}: no reply within ${timeoutMs} ms`)), timeoutMs + commands.length);
      pending = {
        count: commands.length,
        replies: [],
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      sent += commands.length;
      s.write(commands.join('\n') + '\n');
    });
  }

  function execute(commands: readonly string[]): Promise<string[]> {
    const next = chain.then(() => run(commands));
    chain = next.catch(() => undefined);
    return next;
  }

  async function apply(commands: readonly string[]): Promise<string[]> {
    const replies = await execute(commands);
    const failures = replies.flatMap((reply, i) => (isErrorReply(reply) ? [`${redactHashes(commands[i]!)} -> ${reply}`] : []));
    if (failures.length > 0) {
      deps.logger?.warn({ failures: failures.slice(0, 10), count: failures.length }, 'runtime commands failed');
      throw new RuntimeCommandError(`HAProxy refused ${failures.length} of ${commands.length} commands: ${failures.slice(0, 3).join('; ')}`, failures[0]);
    }
    return replies;
  }

  function oneShot(command: string): Promise<string> {
    const next = chain.then(
      () =>
        new Promise<string>((resolve, reject) => {
          const s = openSocket(address);
          s.setEncoding('utf8');
          let out = '';
          const timer = setTimeout(() => {
            s.destroy();
            reject(new RuntimeCommandError(`runtime API ${where}: no reply within ${timeoutMs} ms`));
          }, timeoutMs);
          s.on('connect', () => {
            sent += 1;
            s.end(command.endsWith('\n') ? command : command + '\n');
          });
          s.on('data', (d: string) => (out += d));
          s.on('error', (e) => {
            clearTimeout(timer);
            reject(new RuntimeCommandError(`runtime API ${where}: ${e.message}`, undefined, { cause: e }));
          });
          s.on('close', () => {
            clearTimeout(timer);
            resolve(out.trim());
          });
        }),
    );
    chain = next.catch(() => undefined);
    return next;
  }

  return {
    execute,
    apply,
    oneShot,
    close: () => fail(new RuntimeCommandError(`runtime API ${where}: client closed`)),
    reset: () => {
      chain = chain.then(() => fail(new RuntimeCommandError(`runtime API ${where}: connection reset`)));
    },
    address,
    get sent() {
      return sent;
    },
    get epoch() {
      return epoch;
    },
  };
}
