/**
 * @module haproxy-operator as a bench/peers engine: a real operator with its
 * managed HAProxy, every change through the operations layer (in process) or
 * through MCP (the SDK's streamable HTTP client on the operator's /mcp, one
 * session, as an agent holds it). Acknowledged when the call returns: the
 * Runtime API commands have been applied by then, and HAProxy never reloads.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createLogger } from '../../src/log.ts';
import { startHttp } from '../../src/wiring/http.ts';
import { certProvider, certsFacade } from '../../src/wiring/certs.ts';
import { startTestOperator } from '../../test/helpers/haproxy.ts';
import type { Engine } from './engine.ts';
import type { Change, Model } from './model.ts';

/** The call a change becomes: an operations method name and its arguments, MCP tool names alike. */
function call(c: Change, model: Model): { op: 'addDomain' | 'addServer' | 'removeServer' | 'removeDomain'; args: Record<string, string | number> } {
  const port = (slot: number) => model.get(c.domain)!.servers.get(slot)!;
  if (c.kind === 'addDomain') return { op: c.kind, args: { domain: c.domain, ip: '127.0.0.1', port: port(1) } };
  if (c.kind === 'addServer') return { op: c.kind, args: { domain: c.domain, slot: c.slot, ip: '127.0.0.1', port: port(c.slot) } };
  if (c.kind === 'removeServer') return { op: c.kind, args: { domain: c.domain, slot: c.slot } };
  return { op: c.kind, args: { domain: c.domain } };
}

const TOOL = { addDomain: 'haproxy_add_domain', addServer: 'haproxy_add_server', removeServer: 'haproxy_remove_server', removeDomain: 'haproxy_remove_domain' } as const;

export async function startOperatorEngine(initial: Model, via: 'ops' | 'mcp', pools: number): Promise<Engine> {
  const op = await startTestOperator({ pools, slots: 10 });
  let client: Client | undefined;
  const stop = async () => {
    await client?.close().catch(() => undefined);
    await op.stop();
  };
  let apply: (c: Change, model: Model) => Promise<void>;
  try {
    const { ops } = op.operator;
    if (via === 'ops') {
      apply = async (c, model) => {
        const { op: name, args } = call(c, model);
        await (ops[name] as unknown as (a: object) => Promise<unknown>).call(ops, args);
      };
    } else {
      // The listener `run` mounts /mcp on (src/wiring/run.ts), without the container and certificate sources.
      const { operator, settings } = op;
      const http = await startHttp(settings, { ops, admin: operator.admin, logger: createLogger({ level: 'silent', pretty: false }), certs: certProvider(certsFacade({ certDir: settings.certDir })), ready: () => true });
      operator.onStop(() => http.stop());
      client = new Client({ name: 'bench-peers', version: '1.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${op.listenPort}/mcp`)));
      const mcp = client;
      apply = async (c, model) => {
        const { op: name, args } = call(c, model);
        const res = await mcp.callTool({ name: TOOL[name], arguments: args });
        if (res.isError) throw new Error(`${TOOL[name]}: ${JSON.stringify(res.content).slice(0, 300)}`);
      };
    }
    for (const [domain, r] of initial) {
      for (const [slot] of r.servers) await apply(slot === 1 ? { kind: 'addDomain', domain } : { kind: 'addServer', domain, slot }, initial);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const pid = await op.workerPid();
  return {
    label: via === 'ops' ? 'haproxy-operator, operations layer (Runtime API)' : 'haproxy-operator, MCP tools over HTTP (Runtime API)',
    httpPort: op.httpPort,
    apply,
    settle: async () => undefined,
    // Runtime changes only: a different worker would mean HAProxy reloaded, which the bench must show.
    reloads: () => 0,
    async stop() {
      const now = await op.workerPid().catch(() => pid);
      await stop();
      if (now !== pid) throw new Error(`HAProxy was reloaded during the benchmark (worker ${pid} -> ${now})`);
    },
  };
}
