/**
 * @module Test harness: an MCP client connected in-process (InMemoryTransport)
 * to a server built by createMcpServer, plus a pino logger that captures its
 * output so tests can check what was logged.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer } from '../../src/mcp/server.ts';
import type { McpServerDeps } from '../../src/mcp/server.ts';

/** A pino logger whose output is kept in `lines()` (one string per log line). */
export function captureLogger(): { logger: Logger; text(): string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => text };
}

export async function connectInMemory(deps: McpServerDeps): Promise<{ client: Client; close(): Promise<void> }> {
  const server = createMcpServer(deps)({ defaultCaller: 'in-memory' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1.0' });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** Text of a tool result's first content item. */
export function textOf(result: unknown): string {
  const r = result as CallToolResult;
  const first = r.content?.[0];
  return first && first.type === 'text' ? first.text : '';
}

/** Calls a paged list tool from its first page to its last (at most `maxPages`), following nextCursor; returns each page's structured content in order. */
export async function allPages<T extends { nextCursor?: string }>(client: Client, name: string, args: Record<string, unknown>, maxPages: number): Promise<T[]> {
  const pages: T[] = [];
  let cursor: string | undefined;
  do {
    const r = await client.callTool({ name, arguments: { ...args, ...(cursor ? { cursor } : {}) } });
    const page = r.structuredContent as T;
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor && pages.length < maxPages);
  return pages;
}
