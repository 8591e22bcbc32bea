/**
 * @module Load and ports for the container stress test and
 * bench/container-latency: CPU hogs (child processes that stop by themselves
 * at a deadline, killed by PID), a churn of MCP route changes through the
 * real MCP tools, and container ports no other process can take between
 * `podman create` and start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

/** `n` busy-looping node processes, each ending by itself after `maxMs`; stop() kills them by PID. */
export function cpuHogs(n: number, maxMs: number): { stop(): Promise<void> } {
  const script = `const end = Date.now() + ${Math.floor(maxMs)}; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1);`;
  const children: ChildProcess[] = Array.from({ length: n }, () => spawn(process.execPath, ['-e', script], { stdio: 'ignore' }));
  return {
    async stop() {
      await Promise.all(
        children.map(async (c) => {
          if (c.exitCode !== null || c.signalCode !== null) return;
          const exited = once(c, 'exit');
          c.kill('SIGKILL');
          await exited;
        }),
      );
    },
  };
}

/**
 * Route changes of `domains` other domains through MCP tools, one every
 * `everyMs` until stop() or `maxChanges`: add the domain, add slot 2, remove
 * slot 2, remove the domain. Counts what was applied; the first failure ends it.
 */
export function mcpChurn(client: Client, port: number, domains: string[], everyMs = 0, maxChanges = 20_000): { stop(): Promise<{ changes: number; error?: Error }> } {
  let stopping = false;
  let changes = 0;
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name, arguments: args });
    if (result.isError) throw new Error(`${name} ${JSON.stringify(args)}: ${JSON.stringify(result.content)}`);
    changes += 1;
    if (everyMs > 0) await delay(everyMs);
  };
  const loop = (async () => {
    while (!stopping && changes < maxChanges) {
      for (const domain of domains) {
        await call('haproxy_add_domain', { domain, ip: '127.0.0.1', port });
        await call('haproxy_add_server', { domain, slot: 2, ip: '127.0.0.1', port });
      }
      for (const domain of domains) {
        await call('haproxy_remove_server', { domain, slot: 2 });
        await call('haproxy_remove_domain', { domain });
      }
    }
  })();
  return {
    async stop() {
      stopping = true;
      const error = await loop.then(() => undefined, (e: Error) => e);
      return { changes, ...(error ? { error } : {}) };
    },
  };
}

function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return await new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/**
 * A free port on 127.0.0.1 BELOW the kernel's ephemeral range. A port from
 * `listen(0)` is in that range, so any outgoing connection on the machine
 * (HAProxy to a server, a test's client) may take it before the container
 * binds it; httpd then exits with "bind: Address already in use". That is
 * what made bench/container-latency report a started container as never
 * routed (issue 22). Below the range only an explicit bind can collide.
 */
export async function quietPort(): Promise<number> {
  const high = ephemeralLow() - 1;
  const low = Math.max(1024, high - 12_000);
  for (let i = 0; i < 200; i++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port) || !(await isFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found in ${low}-${high}`);
}
