/**
 * @module One validation per call: an MCP tool call is parsed once, against
 * its tool schema (derived from the operation's), and the operations layer
 * does not parse it again; an unvalidated caller (CLI, bench) gets its one
 * parse in the operations layer; an HTTP API request is parsed once by the
 * route's query or body schema. Parses are counted on the schema objects
 * themselves (every zod parse, ours or the SDK's, goes through a schema's
 * `_zod.run`), on the real operations layer over an in-memory runner.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { z } from 'zod';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createOperations } from '../../src/operations/operations.ts';
import { DomainArg, operationInputs } from '../../src/model/operations.ts';
import { Hostname } from '../../src/model/names.ts';
import { emptyState, type DesiredState } from '../../src/model/state.ts';
import type { Runner } from '../../src/reconcile/runner.ts';
import { buildTools } from '../../src/mcp/server.ts';
import { installTools, type ToolSpec } from '../../src/mcp/tool-kit.ts';
import { explainRoute, ExplainInput } from '../../src/mcp/explain.ts';
import { createHttpListener } from '../../src/http/listener.ts';
import { createMcpAuth } from '../../src/mcp/auth.ts';
import { mountApi } from '../../src/api/routes.ts';
import { API_PATHS, CertIssueBody, ExplainQuery, ExportQuery } from '../../src/api/protocol.ts';
import { CertRequest } from '../../src/model/cert-request.ts';
import { normalizeRequest, type CertManager } from '../../src/acme/manager.ts';
import { certProvider, certsFacade } from '../../src/wiring/certs.ts';
import { createFakeAdmin } from '../mcp/fake-ops.ts';
import { textOf } from '../mcp/harness.ts';

const logger = pino({ level: 'silent' });
const SLOTS = 10;

/** Desired state in memory; every change is "applied" at once with no actions. */
function memoryRunner(): Runner {
  let desired: DesiredState = emptyState();
  const done = { actions: [], applied: true };
  return {
    desired: () => desired,
    change(edit) {
      const before = desired;
      desired = edit(before);
      return { before, after: desired, done: Promise.resolve(done) };
    },
    resync: async () => done,
    loadCert: async () => ({ created: false }),
    preview: async () => [],
    idle: async () => {},
    behind: () => false,
  };
}

function realOps() {
  return createOperations({ runner: memoryRunner(), haproxy: { stats: async () => [], commandOf: (a) => a.kind }, capacity: { pools: 5, slots: SLOTS }, logger });
}

/** An MCP client connected in memory to a server with `tools`; `toolInput` is a tool's input schema (to count its parses). */
async function connectTools(t: TestContext, tools: ToolSpec[]) {
  const server = new McpServer({ name: 'parse-once', version: '1' });
  installTools(server, tools, { logger, defaultCaller: 'test' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(clientSide);
  t.after(() => client.close());
  return { client, toolInput: (name: string) => tools.find((s) => s.name === name)!.input };
}

/** A certificate manager's entry (its `normalizeRequest`, as `issue` and `renew` start) recording what it was given. */
function managerEntry(seen: unknown[]): CertManager {
  const answer = (req: Parameters<CertManager['issue']>[0], action: 'issued' | 'renewed') => {
    const r = normalizeRequest(req);
    seen.push(r);
    const domains = r.wildcard ? [r.domain, `*.${r.domain}`] : [r.domain];
    return { name: r.domain, action, hotloaded: true, status: { name: r.domain, domains, path: `/certs/${r.domain}.pem`, ready: true } as never };
  };
  return {
    issue: async (req: Parameters<CertManager['issue']>[0]) => answer(req, 'issued'),
    renew: async (req: Parameters<CertManager['renew']>[0]) => answer(req, 'renewed'),
    list: async () => [{ name: 'app.example.com' }] as never,
  } as unknown as CertManager;
}

/** Counts the parses of each named schema until `restore()`. */
function countParses(schemas: Record<string, z.ZodType>): { counts(): Record<string, number>; reset(): void; restore(): void } {
  const counts: Record<string, number> = {};
  const restores: Array<() => void> = [];
  for (const [name, schema] of Object.entries(schemas)) {
    counts[name] = 0;
    const internals = schema._zod as { run: (...args: unknown[]) => unknown };
    const run = internals.run;
    internals.run = (...args) => {
      counts[name]!++;
      return run(...args);
    };
    restores.push(() => (internals.run = run));
  }
  return {
    counts: () => ({ ...counts }),
    reset: () => {
      for (const name of Object.keys(counts)) counts[name] = 0;
    },
    restore: () => restores.forEach((r) => r()),
  };
}

/** Every operation input schema, plus the field schemas a second parse would run again. */
function operationSchemas(): Record<string, z.ZodType> {
  return { ...operationInputs(SLOTS), DomainArg, Hostname };
}

test('an MCP tool call is parsed once, by its tool schema; the operations layer does not parse it again', async (t) => {
  const ops = realOps();
  const { client, toolInput } = await connectTools(t, buildTools({ ops, admin: createFakeAdmin(), logger, settings: { slots: SLOTS } }));
  const spy = countParses({
    ...operationSchemas(),
    addDomainTool: toolInput('haproxy_add_domain'),
    weightTool: toolInput('haproxy_set_server_weight'),
    healthTool: toolInput('haproxy_get_server_health'),
  });
  t.after(() => spy.restore());
  const none = Object.fromEntries(Object.keys(operationInputs(SLOTS)).map((k) => [k, 0]));

  const added = await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'app.example.com', ip: '10.0.0.5', port: 8080 } });
  assert.equal(added.isError, undefined, textOf(added));
  assert.deepEqual(spy.counts(), { ...none, DomainArg: 1, Hostname: 0, addDomainTool: 1, weightTool: 0, healthTool: 0 });
  assert.equal(ops.getDomain('app.example.com')?.servers[0]?.address, '10.0.0.5');

  spy.reset();
  const weight = await client.callTool({ name: 'haproxy_set_server_weight', arguments: { domain: 'app.example.com', slot: '1', weight: 7 } });
  assert.equal(weight.isError, undefined, textOf(weight));
  assert.deepEqual(spy.counts(), { ...none, DomainArg: 1, Hostname: 0, addDomainTool: 0, weightTool: 1, healthTool: 0 });
  assert.equal(ops.getDomain('app.example.com')?.servers[0]?.weight, 7, 'the parsed value (slot "1" -> 1) reached the operation');

  spy.reset();
  const health = await client.callTool({ name: 'haproxy_get_server_health', arguments: { domain: 'app.example.com' } });
  assert.equal(health.isError, undefined, textOf(health));
  assert.deepEqual(spy.counts(), { ...none, DomainArg: 1, Hostname: 0, addDomainTool: 0, weightTool: 0, healthTool: 1 });

  // Bad input: one parse, an error naming the field and the value, nothing changed.
  spy.reset();
  const before = ops.snapshot();
  const bad = await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'other.example.com', ip: '10.0.0.300' } });
  assert.equal(bad.isError, true);
  assert.match(textOf(bad), /^invalid arguments for haproxy_add_domain: ip="10\.0\.0\.300": not an IPv4 or IPv6 address$/);
  assert.deepEqual(spy.counts(), { ...none, DomainArg: 1, Hostname: 0, addDomainTool: 1, weightTool: 0, healthTool: 0 });
  assert.deepEqual(ops.snapshot(), before);
});

test('a caller with unvalidated input (CLI, bench) gets exactly one parse, in the operations layer', async (t) => {
  const ops = realOps();
  const spy = countParses(operationSchemas());
  t.after(() => spy.restore());
  await ops.addDomain({ domain: 'App.Example.com', ip: '10.0.0.5' });
  assert.equal(spy.counts().addDomain, 1);
  assert.equal(spy.counts().DomainArg, 1);
  assert.ok(ops.getDomain('app.example.com'), 'the parsed (lowercased) name was used');

  spy.reset();
  await ops.health('app.example.com');
  assert.equal(spy.counts().Hostname, 1);

  spy.reset();
  await assert.rejects(ops.setServerWeight({ domain: 'app.example.com', slot: 1, weight: 999 }), /weight=999: not a weight \(0-256\)/);
  assert.equal(spy.counts().setServerWeight, 1);
});

test('an HTTP API request is parsed once, by its route schema; explain asks health without a second parse', async (t) => {
  const ops = realOps();
  await ops.addDomain({ domain: 'app.example.com', ip: '10.0.0.5', port: 8080 });
  const issued: unknown[] = [];
  const listener = createHttpListener({ logger, port: 0 });
  mountApi(listener, {
    auth: createMcpAuth({ trustedNetworks: ['127.0.0.0/8'] }),
    logger,
    explain: (host) => explainRoute({ ops }, host),
    exportSnapshot: async () => ({}) as never,
    certs: certsFacade({ certDir: '/nonexistent', manager: managerEntry(issued) }),
  });
  const bound = await listener.start();
  t.after(() => listener.stop());
  const spy = countParses({ ...operationSchemas(), ExplainQuery, ExplainHost: ExplainInput.shape.host, ExportQuery, CertIssueBody, CertRequest });
  t.after(() => spy.restore());
  const none = { ...Object.fromEntries(Object.keys(operationSchemas()).map((k) => [k, 0])), ExplainQuery: 0, ExplainHost: 0, ExportQuery: 0, CertIssueBody: 0, CertRequest: 0 };

  const explained = await fetch(`${bound.url}${API_PATHS.explain}?host=app.example.com`);
  assert.equal(explained.status, 200);
  assert.equal(((await explained.json()) as { routed: boolean }).routed, true);
  assert.deepEqual(spy.counts(), { ...none, ExplainQuery: 1, ExplainHost: 1 });

  spy.reset();
  const post = (path: string, body: unknown) => fetch(`${bound.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const issue = await post(API_PATHS.certsIssue, { domain: 'app.example.com', wildcard: true });
  assert.equal(issue.status, 200);
  assert.deepEqual(issued, [{ domain: 'app.example.com', wildcard: true, origin: 'cli' }], 'the facade and the manager took the parsed body as it is');
  assert.deepEqual(spy.counts(), { ...none, CertIssueBody: 1 });

  // Bad input: 400 naming the field and the value, from the one parse; nothing reaches the handler.
  spy.reset();
  const badHost = await fetch(`${bound.url}${API_PATHS.explain}?host=app..example.com`);
  assert.equal(badHost.status, 400);
  assert.deepEqual(await badHost.json(), {
    error: 'host="app..example.com": not a valid host name (letters, digits, hyphens and dots; no port, no spaces)',
    field: 'host',
    value: 'app..example.com',
    reason: 'not a valid host name (letters, digits, hyphens and dots; no port, no spaces)',
  });
  const badFlag = await fetch(`${bound.url}${API_PATHS.export}?workloads=yes`);
  assert.equal(badFlag.status, 400);
  assert.match(((await badFlag.json()) as { error: string }).error, /^workloads="yes": expected true or false$/);
  const badBody = await post(API_PATHS.certsIssue, { domain: 'app.example.com', wildcard: 'yes' });
  assert.equal(badBody.status, 400);
  assert.match(((await badBody.json()) as { error: string }).error, /^wildcard="yes": /);
  assert.deepEqual(spy.counts(), { ...none, ExplainQuery: 1, ExplainHost: 1, ExportQuery: 1, CertIssueBody: 1 });
  assert.equal(issued.length, 1, 'the bad issue request reached nothing');
});

test('certificate tools: the MCP arguments are parsed once; the provider, the facade and the manager do not parse the request again', async (t) => {
  const seen: unknown[] = [];
  const certs = certProvider(certsFacade({ certDir: '/nonexistent', manager: managerEntry(seen) }));
  const { client, toolInput } = await connectTools(t, buildTools({ ops: realOps(), admin: createFakeAdmin(), logger, settings: { slots: SLOTS }, certs }));
  const spy = countParses({ CertRequest, issueTool: toolInput('haproxy_issue_cert'), renewTool: toolInput('haproxy_renew_cert') });
  t.after(() => spy.restore());

  const issued = await client.callTool({ name: 'haproxy_issue_cert', arguments: { domains: ['*.App.Example.com.', 'app.example.com'] } });
  assert.equal(issued.isError, undefined, textOf(issued));
  assert.deepEqual(seen, [{ domain: 'app.example.com', wildcard: true, origin: 'mcp' }]);
  assert.deepEqual(spy.counts(), { CertRequest: 0, issueTool: 1, renewTool: 0 });

  spy.reset();
  const renewed = await client.callTool({ name: 'haproxy_renew_cert', arguments: { name: 'app.example.com', force: true } });
  assert.equal(renewed.isError, undefined, textOf(renewed));
  assert.deepEqual(seen[1], { domain: 'app.example.com', wildcard: false, force: true });
  assert.deepEqual(spy.counts(), { CertRequest: 0, issueTool: 0, renewTool: 1 });

  // A raw caller (the CLI, a script) still gets its one parse, with the field named.
  spy.reset();
  assert.throws(() => normalizeRequest({ domain: 'localhost' }), /domain="localhost": not a host name with at least two labels/);
  assert.deepEqual(spy.counts(), { CertRequest: 1, issueTool: 0, renewTool: 0 });
});
