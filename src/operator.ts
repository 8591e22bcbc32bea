/**
 * @module Wires the foundation for `haproxy-operator run`: state directory
 * and lock, persisted desired state, HAProxy (managed child or external
 * Runtime API), the operations layer, restore on every HAProxy start and a
 * periodic full resync. Shutdown runs in reverse order, HAProxy last.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { renderConfig, checksMapFile } from './haproxy/config-render.ts';
import { writeHoldLua } from './haproxy/hold-lua.ts';
import { detectCapabilities, type HaproxyCapabilities } from './haproxy/capabilities.ts';
import { ensureFallbackCert } from './haproxy/fallback-cert.ts';
import { createRuntimeClient, type RuntimeClient } from './haproxy/runtime-client.ts';
import { createSupervisor, type Supervisor } from './haproxy/supervisor.ts';
import { createPidWatch } from './haproxy/pid-watch.ts';
import { formatRuntimeAddress } from './model/runtime-address.ts';
import { createRouting } from './wiring/routing.ts';
import { createAdmin } from './operations/admin.ts';
import type { Admin, Operations } from './operations/types.ts';
import { acquireLock, type StateLock } from './store/lock.ts';
import { createStateStore } from './store/state-store.ts';
import { writeFileAtomic } from './os/atomic-write.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import type { Settings } from './config/settings.ts';
import { createLifecycle, type Lifecycle } from './lifecycle.ts';
import { signalIf } from './os/process-util.ts';

export interface Operator {
  ops: Operations;
  admin: Admin;
  runtime: RuntimeClient;
  supervisor?: Supervisor;
  /** Prometheus metrics; main mounts metrics.handler at /metrics and attaches the watcher and cert manager. */
  metrics: Metrics;
  settings: Settings;
  /** Registers a shutdown step; steps run in reverse order of registration. */
  onStop(step: () => Promise<void> | void): void;
  /** Start-up and shutdown of this run (stop requests, forced stops). */
  life: Lifecycle;
  stop(): Promise<void>;
}

export function statePaths(settings: Settings) {
  const mapFile = join(settings.confDir, 'domains.map');
  return {
    configFile: join(settings.confDir, 'haproxy.cfg'),
    mapFile,
    checksMapFile: checksMapFile(mapFile),
    serversFile: join(settings.confDir, 'servers.json'),
    masterSocket: join(settings.runDir, 'master.sock'),
    runtimeSocket: join(settings.runDir, 'haproxy.sock'),
    mcpSocket: join(settings.runDir, 'mcp-proxy.sock'),
    pidFile: join(settings.runDir, 'haproxy.pids'),
    lockFile: join(settings.stateDir, 'operator.lock'),
  };
}

/** Renders haproxy.cfg for these settings (also used by `render-config` for external mode). */
export async function renderFor(settings: Settings, caps: Pick<HaproxyCapabilities, 'quic' | 'quicOpensslCompat'>): Promise<string> {
  const paths = statePaths(settings);
  const bind = (port: number) => `${settings.bindAddress.includes(':') ? `[${settings.bindAddress}]` : settings.bindAddress}:${port}`;
  return renderConfig({
    mapFile: paths.mapFile,
    certDir: settings.certDir,
    runtimeApi: formatRuntimeAddress(settings.runtimeApi.kind === 'tcp' ? settings.runtimeApi : { kind: 'tcp', host: '127.0.0.1', port: 9999 }),
    runtimeSocket: paths.runtimeSocket,
    httpBind: bind(settings.httpPort),
    httpsBind: bind(settings.httpsPort),
    pools: settings.pools,
    slots: settings.slots,
    quic: caps.quic,
    limitedQuic: caps.quicOpensslCompat,
    quicPort: settings.httpsPort,
    ...(settings.mcpHost ? { mcpHost: settings.mcpHost, mcpSocket: paths.mcpSocket } : {}),
    checkInterMs: settings.checkInterval,
    connectTimeoutMs: settings.connectTimeout,
    maxconn: settings.maxconn,
  });
}

/**
 * Starts the foundation. Every part registers its stop on `life` as soon as it
 * exists, so a stop requested at any moment (a signal during start-up) stops
 * exactly what was started; `life.check()` between steps ends the start.
 */
export async function startOperator(settings: Settings, logger: Logger, life: Lifecycle = createLifecycle((error) => logger.error({ err: error }, 'shutdown step failed'))): Promise<Operator> {
  const paths = statePaths(settings);
  const stop = () => life.stop();
  let lock: StateLock | undefined;
  try {
    await mkdir(settings.stateDir, { recursive: true, mode: 0o700 });
    for (const dir of [settings.confDir, settings.runDir]) await mkdir(dir, { recursive: true, mode: 0o755 });
    await mkdir(settings.certDir, { recursive: true, mode: 0o700 });
    lock = await acquireLock(paths.lockFile);
    const held = lock;
    life.onStop(() => held.release());
    life.check();

    const store = createStateStore({ serversFile: paths.serversFile, mapFile: paths.mapFile, checksMapFile: paths.checksMapFile });
    const initialState = await store.load({ pools: settings.pools, slots: settings.slots }, (note) => logger.warn(note));
    // HAProxy loads the maps at start: make them equal servers.json first.
    await store.save(initialState);
    await writeHoldLua(paths.mapFile);

    const runtime = createRuntimeClient({ address: settings.runtimeApi, logger: logger.child({ module: 'runtime' }) });
    life.onStop(() => runtime.close());
    const metrics = createMetrics({ capacity: { pools: settings.pools, slots: settings.slots }, runtime, logger: logger.child({ module: 'metrics' }) });
    const { ops, haproxy } = createRouting({
      store,
      runtime,
      capacity: { pools: settings.pools, slots: settings.slots },
      files: { mapFile: paths.mapFile, checksMapFile: paths.checksMapFile },
      initialState,
      logger,
      onPass: metrics.hooks.onReconcile,
    });
    metrics.attach({ state: ops });
    const restore = async (why: string) => {
      const started = performance.now();
      const steps = await ops.restore();
      logger.info({ why, commands: steps.length, ms: Math.round(performance.now() - started) }, 'routes restored');
      return steps.length;
    };

    let supervisor: Supervisor | undefined;
    if (settings.mode === 'managed') {
      const caps = await detectCapabilities(settings.haproxyBin);
      const rendered = await renderFor(settings, caps);
      const previous = await readFile(paths.configFile, 'utf8').catch(() => undefined);
      await writeFileAtomic(paths.configFile, rendered);
      await ensureFallbackCert(settings.certDir);
      supervisor = createSupervisor({
        bin: settings.haproxyBin,
        configFile: paths.configFile,
        masterSocket: paths.masterSocket,
        pidFile: paths.pidFile,
        runtime,
        logger: logger.child({ module: 'supervisor' }),
        onStarted: ({ restarts }) => restore(restarts === 0 ? 'haproxy started' : 'haproxy restarted'),
        // An HAProxy left by a killed operator keeps serving: take it over.
        adopt: { configChanged: previous !== rendered },
      });
      const sup = supervisor;
      // A start that fails (not a stop request) leaves an adopted HAProxy serving: traffic never stops.
      life.onStop(() => (life.startFailed && sup.adopted() ? sup.detach() : sup.stop()));
      life.onForce(() => {
        for (const pid of [sup.masterPid(), sup.workerPid()]) signalIf(pid, paths.configFile, 'SIGKILL');
      });
      metrics.attach({ supervisor });
      life.check();
      await supervisor.start();
      life.check();
    }
    // Both modes: a changed worker PID (reload by someone else, restart of an
    // external HAProxy) loses runtime state, so restore.
    const watch = createPidWatch({
      runtime,
      intervalMs: 1000,
      initialPid: supervisor?.workerPid() ?? 0,
      logger: logger.child({ module: 'pid-watch' }),
      onChange: async (info) => void (await restore(`haproxy worker changed (pid ${info.pid})`)),
    });
    life.onStop(() => watch.stop());
    const resync = setInterval(() => {
      ops.restore({ drift: true }).catch((error) => logger.warn({ err: error }, 'periodic resync failed'));
    }, settings.resyncInterval);
    resync.unref();
    life.onStop(() => clearInterval(resync));

    const admin = createAdmin({ haproxy, ops, settings, paths, supervisor, logger: logger.child({ module: 'admin' }) });
    logger.info(
      { mode: settings.mode, http: settings.httpPort, https: settings.httpsPort, runtimeApi: formatRuntimeAddress(settings.runtimeApi), stateDir: settings.stateDir },
      'operator ready',
    );
    const operator: Operator = {
      ops,
      admin,
      runtime,
      metrics,
      settings,
      onStop: (step) => life.onStop(step),
      life,
      stop,
    };
    if (supervisor) operator.supervisor = supervisor;
    return operator;
  } catch (error) {
    if (!life.signal.aborted) life.markStartFailed();
    await stop();
    throw error;
  }
}
