/**
 * @module A fake HAProxy Runtime API for unit tests: a TCP server on
 * 127.0.0.1 speaking prompt mode ("prompt" gets "\n> ", then each command
 * line gets "<reply>\n\n> "). It records every connection and every byte
 * received, so a test can prove that nothing reached the socket.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface FakeRuntimeOptions {
  /** Reply text for a command (without the trailing empty line); 'DROP' closes the connection, 'RESET' resets it (RST), 'SILENT' never answers. */
  reply?: (command: string) => string | Promise<string>;
  /** Split each reply into pieces of this many bytes, written one per event loop turn (exercises reassembly). */
  chunkBytes?: number;
}

export interface FakeRuntime {
  port: number;
  /** Number of accepted connections. */
  connections: number;
  /** Connections open right now. */
  open(): number;
  /** Every byte received, in order, across connections. */
  received: Buffer[];
  /** Command lines received (after `prompt`), in order. */
  lines: string[];
  bytesReceived(): number;
  close(): Promise<void>;
}

export async function startFakeRuntime(options: FakeRuntimeOptions = {}): Promise<FakeRuntime> {
  const reply = options.reply ?? (() => '');
  const sockets = new Set<Socket>();
  const fake = { connections: 0, received: [] as Buffer[], lines: [] as string[] } as FakeRuntime;

  async function write(socket: Socket, text: string): Promise<void> {
    const size = options.chunkBytes ?? text.length;
    for (let at = 0; at < text.length; at += size) {
      if (socket.destroyed) return;
      socket.write(text.slice(at, at + size));
      if (size < text.length) await new Promise((r) => setImmediate(r));
    }
  }

  const server: Server = createServer((socket) => {
    fake.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let prompt = false;
    // Replies go out in command order even when the reply function is slow.
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      fake.received.push(Buffer.from(chunk));
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!prompt && line === 'prompt') {
          prompt = true;
          chain = chain.then(() => write(socket, '\n> '));
          continue;
        }
        fake.lines.push(line);
        chain = chain.then(async () => {
          const text = await reply(line);
          if (text === 'DROP') socket.destroy();
          else if (text === 'RESET') socket.resetAndDestroy();
          else if (text !== 'SILENT') await write(socket, `${text}\n\n> `);
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.open = () => sockets.size;
  fake.bytesReceived = () => fake.received.reduce((n, b) => n + b.length, 0);
  fake.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return fake;
}
