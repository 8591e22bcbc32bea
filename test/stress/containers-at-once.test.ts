/**
 * @module Issue 22 stress: real Podman, real operator and HAProxy, the
 * machine kept busy (CPU hogs on every core and a churn of MCP route changes
 * of other domains). 30 containers are started at once, 10 rounds: every
 * one must answer through HAProxy within 2 s of its start event reaching the
 * watcher, and once stopped its domain must be gone within the drain time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { haproxyMissing, startTestOperator } from '../helpers/haproxy.ts';
import { get, startBackend } from '../helpers/http.ts';
import { podmanSkipReason, startPodmanHarness, TEST_LABEL, type TestContainer } from '../helpers/podman.ts';
import { connectInMemory } from '../mcp/harness.ts';
import { createContainerWatcher } from '../../src/podman/watcher.ts';
import { eventsLogIfAny } from '../helpers/watched-operator.ts';
import { cpuHogs, mcpChurn, quietPort } from '../podman/busy-machine.ts';
import { recordingLogger } from '../podman/recording-logger.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { waitFor } from '../helpers/wait.ts';
import { createRuntimeClient } from '../../src/haproxy/runtime-client.ts';
import { liveRoutes } from '../helpers/live-routes.ts';

const skip = haproxyMissing() ?? (await podmanSkipReason());
const CONTAINERS = 30;
const ROUNDS = 10;
/** The issue's bound; STRESS_ROUTE_WITHIN_MS relaxes it on a machine shared with other heavy jobs (say so when you do). */
const ROUTE_WITHIN_MS = Number(process.env.STRESS_ROUTE_WITHIN_MS ?? 2000);
const DRAIN_MS = 2000;
/** Polling granularity and the time for a stopped container's last sync: the "gone" check allows this on top of the drain time. */
const GONE_SLACK_MS = 1000;
/** One core kept at 100% by another process; the MCP churn changes a route every 50 ms. */
const HOGS = Math.max(1, os.cpus().length - 1);
const CHURN_EVERY_MS = 50;

test(`${CONTAINERS} containers started at once, ${ROUNDS} rounds, on a busy machine: routed within ${ROUTE_WITHIN_MS} ms of the start event, gone within the drain time`, { skip: skip ?? false, timeout: 240_000 }, async (t) => {
  const defer = deferCleanup(t);
  const h = await startPodmanHarness();
  defer(() => h.cleanup());
  const op = await startTestOperator({ pools: CONTAINERS + 6, slots: 10 });
  defer(() => op.stop());
  const logger = recordingLogger();
  const events = new Map<string, { start: number[]; died: number[] }>();
  const seen = (id: string) => events.get(id) ?? (events.set(id, { start: [], died: [] }), events.get(id)!);
  /** When the first sync carrying each container's server ready returned (HAProxy had acknowledged it); cleared at each stop. */
  const synced = new Map<string, number>();
  /** When the first sync without a stopping container's servers returned; `stopping` is the set being stopped. */
  const removed = new Map<string, number>();
  const stopping = new Set<string>();
  const watcher = createContainerWatcher({
    logger,
    ops: op.operator.ops,
    socketPath: h.socketPath,
    labelSelector: `${TEST_LABEL}=${h.runId}`,
    // As the operator runs by default: Podman's API stream alone missed some starts here under this load.
    ...eventsLogIfAny(),
    drainTimeoutMs: DRAIN_MS,
    drainPollMs: 50,
    onSynced: ({ at, servers }) => {
      const present = new Set<string>();
      for (const sv of servers) {
        const id = sv.source.slice('container:'.length);
        present.add(id);
        if (sv.state === 'ready' && !synced.has(id)) synced.set(id, at);
      }
      for (const id of stopping) if (!present.has(id) && !removed.has(id)) removed.set(id, at);
    },
    onEvent: (e) => {
      if (e.action === 'start') seen(e.id).start.push(e.receivedAt);
      if (e.action === 'died' || e.action === 'die') seen(e.id).died.push(e.receivedAt);
    },
  });
  defer(() => watcher.stop());
  await watcher.start();

  const created = await Promise.all(
    Array.from({ length: CONTAINERS }, async (_, i) => {
      const port = await quietPort();
      const domain = `s${i + 1}.stress.test`;
      // haproxy.hold=0: "gone within the drain time" measures the drain; a hold keeps a stopped slot for its successor.
      return { domain, c: await h.run({ port, createOnly: true, labels: { 'haproxy.domain': domain, 'haproxy.port': String(port), 'haproxy.hold': '0' } }) };
    }),
  );
  const docker = new Dockerode({ socketPath: h.socketPath });

  const other = await startBackend('churn');
  defer(() => other.close());
  const mcp = await connectInMemory({ ops: op.operator.ops, admin: op.operator.admin, logger: recordingLogger() });
  defer(() => mcp.close());
  const hogs = cpuHogs(HOGS, 200_000);
  defer(() => hogs.stop());
  const churn = mcpChurn(mcp.client, other.port, ['c1.churn.test', 'c2.churn.test', 'c3.churn.test'], CHURN_EVERY_MS);
  defer(() => churn.stop());

  const answers = async (domain: string, c: TestContainer) => {
    const reply = await get(op.httpPort, domain).catch(() => undefined);
    return reply?.status === 200 && reply.body.trim() === c.body;
  };
  // Its own connection, so the observer neither waits behind the operator's commands nor delays them.
  const observer = createRuntimeClient({ address: op.settings.runtimeApi });
  defer(() => observer.close());
  let reading: Promise<Map<string, Set<string>>> | undefined;
  /** Every poller shares the read in flight: one Runtime API round trip at a time. */
  const routesNow = () => (reading ??= liveRoutes(observer, op.settings.confDir).finally(() => (reading = undefined)));
  const routed = async (domain: string, c: TestContainer) => (await routesNow()).get(domain)?.has(`127.0.0.1:${c.port}`) === true;
  /** Polls each container on its own (a slow reply for one must not delay noticing another) until `done` holds; returns when it first held. */
  async function pollAll(done: (domain: string, c: TestContainer) => Promise<boolean>, deadlineMs: number): Promise<Map<string, number>> {
    const at = new Map<string, number>();
    const end = Date.now() + deadlineMs;
    await Promise.all(
      created.map(async ({ domain, c }) => {
        while (Date.now() < end) {
          if (await done(domain, c)) return void at.set(c.id, Date.now());
          await delay(20);
        }
      }),
    );
    return at;
  }
  const explain = async (id: string) => JSON.stringify(await watcher.explainContainer(id).then((r) => r && { state: r.state, reason: r.reason, pending: r.pending }));

  const worstRoute: number[] = [];
  const worstGone: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const startsBefore = new Map(created.map(({ c }) => [c.id, seen(c.id).start.length]));
    await Promise.all(created.map(({ c }) => docker.getContainer(c.id).start()));
    const live = await pollAll(routed, 15_000);
    // HAProxy shows a route as soon as the runner applied it; the sync that carried it returns (onSynced) a moment later.
    await waitFor(() => created.every(({ c }) => !live.has(c.id) || synced.has(c.id)), { timeoutMs: 5_000, message: 'the syncs behind the live routes returned' }).catch(() => undefined);
    const late: string[] = [];
    for (const { c } of created) {
      const event = seen(c.id).start[startsBefore.get(c.id)!];
      // When HAProxy acknowledged the commands that route it; `live` confirms them in HAProxy's own state.
      // (A poller's timestamp would add its own lag: on a loaded 2-core machine that is seconds.)
      const at = live.has(c.id) ? synced.get(c.id) : undefined;
      if (event === undefined || at === undefined || at - event > ROUTE_WITHIN_MS) {
        late.push(`${c.name}: start event ${event === undefined ? 'not seen' : 'seen'}, ${at === undefined ? 'never routed' : `routed ${at - (event ?? at)} ms after it`} (live in HAProxy: ${live.has(c.id)}); watcher: ${await explain(c.id)}`);
      } else worstRoute.push(at - event);
    }
    const passes = logger.entries.filter((e) => e.msg === 'container pass').slice(-8).map((e) => JSON.stringify(e.obj));
    assert.deepEqual(late, [], `round ${round}: containers not routed within ${ROUTE_WITHIN_MS} ms of their start event; last passes: ${passes.join(' ')}`);
    // And traffic really reaches each one through HAProxy (its httpd may need a moment to listen).
    const answering = await pollAll(answers, 15_000);
    assert.deepEqual(created.filter(({ c }) => !answering.has(c.id)).map(({ c }) => c.name), [], `round ${round}: containers routed but not answering through HAProxy`);

    synced.clear();
    removed.clear();
    for (const { c } of created) stopping.add(c.id);
    const diedBefore = new Map(created.map(({ c }) => [c.id, seen(c.id).died.length]));
    await Promise.all(created.map(({ c }) => docker.getContainer(c.id).stop({ t: 2 })));
    const gone = await pollAll(async (domain) => !op.operator.ops.getDomain(domain) && !(await routesNow()).has(domain), DRAIN_MS + 10_000);
    await waitFor(() => created.every(({ c }) => !gone.has(c.id) || removed.has(c.id)), { timeoutMs: 5_000, message: 'the syncs behind the removals returned' }).catch(() => undefined);
    stopping.clear();
    const lingering: string[] = [];
    for (const { c, domain } of created) {
      const died = seen(c.id).died[diedBefore.get(c.id)!];
      const at = gone.has(c.id) ? removed.get(c.id) : undefined;
      if (died === undefined || at === undefined || at - died > DRAIN_MS + GONE_SLACK_MS) {
        lingering.push(`${c.name} (${domain}): died event ${died === undefined ? 'not seen' : 'seen'}, ${at === undefined ? 'still routed' : `gone ${at - (died ?? at)} ms after it`}; watcher: ${await explain(c.id)}`);
      } else worstGone.push(at - died);
    }
    assert.deepEqual(lingering, [], `round ${round}: stopped containers not gone within the drain time (${DRAIN_MS} ms)`);
  }
  const result = await churn.stop();
  assert.equal(result.error, undefined, `MCP churn failed: ${result.error?.message}`);
  assert.ok(result.changes > 0, 'the MCP churn made changes during the rounds');
  assert.equal(watcher.stats().pending, 0, 'no container left awaiting its route');
  t.diagnostic(`routed after start event: max ${Math.max(...worstRoute)} ms; gone after died event: max ${Math.max(...worstGone)} ms; ${result.changes} MCP changes meanwhile`);
});
