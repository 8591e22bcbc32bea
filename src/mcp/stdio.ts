/**
 * @module MCP over stdio (`haproxy-operator mcp --stdio`) for local clients.
 * stdout carries the protocol, so the injected logger must write elsewhere
 * (stderr or a file).
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Readable, Writable } from 'node:stream';
import { createMcpServer } from './server.ts';
import type { McpServerDeps } from './server.ts';

export interface StdioDeps extends McpServerDeps {
  /** Defaults: process.stdin / process.stdout. */
  stdin?: Readable;
  stdout?: Writable;
}

/** Serves MCP on stdin/stdout until `close()` or the input ends; calls are audited with caller "stdio". */
export async function runStdio(deps: StdioDeps): Promise<{ close(): Promise<void>; closed: Promise<void> }> {
  const server = createMcpServer(deps)({ defaultCaller: 'stdio' });
  const transport = new StdioServerTransport(deps.stdin, deps.stdout);
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
  });
  (deps.stdin ?? process.stdin).once('end', () => void server.close());
  await server.connect(transport);
  deps.logger.child({ module: 'mcp' }).info('MCP serving on stdio');
  return { close: () => server.close(), closed };
}
