/**
 * @module In-memory Operations and Admin for MCP tool tests: enough behaviour
 * (pools, the original's port logic, overrides, dry runs) to check that tools
 * pass the right arguments and render results, and a call log to prove that
 * rejected input never reached them.
 */
import { backendName, effectiveState, effectiveWeight, emptyState, serverName } from '../../src/model/state.ts';
import { effectiveHold } from '../../src/model/hold.ts';
import type { DesiredState, ServerSpec } from '../../src/model/state.ts';
import { ConflictError, NotFoundError } from '../../src/model/errors.ts';
import type { Admin, ChangeResult, DomainView, Operations, ServerHealth } from '../../src/operations/types.ts';
import type { StatRow } from '../../src/model/haproxy.ts';

export interface Call {
  method: string;
  input: unknown;
}

export interface FakeOps extends Operations {
  calls: Call[];
  /** Calls that reached a mutating method (not listDomains/getDomain/snapshot/health). */
  mutations(): Call[];
}

function view(state: DesiredState, domain: string): DomainView | undefined {
  const d = state.domains[domain];
  if (!d) return undefined;
  return {
    domain,
    pool: d.pool,
    backend: backendName(d.pool, 'http'),
    source: d.source,
    holdMs: effectiveHold(d),
    servers: d.servers.map((s) => ({ ...s, name: serverName(d.pool, s.family, s.slot), backend: backendName(d.pool, s.family), effectiveState: effectiveState(s), effectiveWeight: effectiveWeight(s) })),
  };
}

/** A fresh fake; `pools` bounds allocation. */
export function createFakeOps(opts: { pools?: number } = {}): FakeOps {
  const state = emptyState();
  const calls: Call[] = [];
  const pools = opts.pools ?? 100;
  const READS = new Set(['listDomains', 'getDomain', 'snapshot', 'health']);

  const result = (dryRun: boolean | undefined, summary: string, commands: string[], domain?: string): ChangeResult => ({
    dryRun: !!dryRun,
    summary: dryRun ? `dry run: ${summary}` : summary,
    plan: commands.map((c) => ({ description: c, command: c })),
    ...(domain && view(state, domain) ? { domain: view(state, domain)! } : {}),
  });
  const need = (domain: string) => {
    const d = state.domains[domain];
    if (!d) throw new NotFoundError(`domain=${JSON.stringify(domain)}: not routed`);
    return d;
  };
  const findServer = (domain: string, slot: number, family = 'http'): ServerSpec => {
    const s = need(domain).servers.find((x) => x.slot === slot && x.family === family);
    if (!s) throw new NotFoundError(`domain=${JSON.stringify(domain)} slot=${slot} family=${family}: empty slot`);
    return s;
  };

  const ops: FakeOps = {
    calls,
    mutations: () => calls.filter((c) => !READS.has(c.method)),
    // The fake validates nothing, so the parsed path is the same methods (recorded alike).
    get parsed() {
      return ops;
    },
    listDomains() {
      calls.push({ method: 'listDomains', input: undefined });
      return Object.keys(state.domains).sort().map((d) => view(state, d)!);
    },
    getDomain(domain) {
      calls.push({ method: 'getDomain', input: domain });
      return view(state, domain);
    },
    async addDomain(input) {
      calls.push({ method: 'addDomain', input });
      if (state.domains[input.domain]) throw new ConflictError(`domain=${JSON.stringify(input.domain)}: already routed`);
      const used = new Set(Object.values(state.domains).map((d) => d.pool));
      let pool = 1;
      while (used.has(pool)) pool++;
      if (pool > pools) throw new Error('no free pool');
      const custom = input.port !== undefined && input.port !== 80 && input.port !== 443;
      const mk = (family: ServerSpec['family'], port: number): ServerSpec => ({ family, slot: 1, address: input.ip, port, weight: 1, state: 'ready', source: input.source ?? 'manual' });
      const servers = custom ? [mk('http', input.port!)] : [mk('http', 80), mk('ssl', 443), mk('h3', 443)];
      const cmds = [`add map domains.map ${input.domain} pool_${pool}`, ...servers.map((s) => `set server ${backendName(pool, s.family)}/${serverName(pool, s.family, 1)} addr ${s.address} port ${s.port}`)];
      if (!input.dryRun) state.domains[input.domain] = { pool, source: input.source ?? 'manual', servers };
      return result(input.dryRun, `added ${input.domain} -> pool_${pool}`, cmds, input.domain);
    },
    async removeDomain(input) {
      calls.push({ method: 'removeDomain', input });
      const d = need(input.domain);
      if (!input.dryRun) delete state.domains[input.domain];
      return result(input.dryRun, `removed ${input.domain} (pool_${d.pool})`, [`del map domains.map ${input.domain}`]);
    },
    async addServer(input) {
      calls.push({ method: 'addServer', input });
      const d = need(input.domain);
      const family = input.family ?? 'http';
      const spec: ServerSpec = { family, slot: input.slot, address: input.ip, port: input.port, weight: input.weight ?? 1, state: input.state ?? 'ready', source: input.source ?? 'manual', ...(input.check ? { check: input.check } : {}) };
      if (!input.dryRun) d.servers = [...d.servers.filter((s) => !(s.slot === input.slot && s.family === family)), spec];
      return result(input.dryRun, `set ${serverName(d.pool, family, input.slot)} to ${input.ip}:${input.port}`, [`set server ${backendName(d.pool, family)}/${serverName(d.pool, family, input.slot)} addr ${input.ip} port ${input.port}`], input.domain);
    },
    async addServers(inputs, opts) {
      calls.push({ method: 'addServers', input: inputs });
      for (const input of inputs) await ops.addServer({ ...input, dryRun: opts?.dryRun ?? false });
      return result(opts?.dryRun, `set ${inputs.length} server(s)`, [], inputs[0]?.domain);
    },
    async removeServer(input) {
      calls.push({ method: 'removeServer', input });
      const d = need(input.domain);
      const s = findServer(input.domain, input.slot, input.family);
      if (!input.dryRun) d.servers = d.servers.filter((x) => x !== s);
      return result(input.dryRun, `emptied slot ${input.slot}`, [`set server ${serverName(d.pool, s.family, s.slot)} state maint`], input.domain);
    },
    async setServerState(input) {
      calls.push({ method: 'setServerState', input });
      const s = findServer(input.domain, input.slot, input.family);
      if (!input.dryRun) {
        if (s.source === 'manual') s.state = input.state;
        else s.override = { ...s.override, state: input.state, ...(input.by ? { by: input.by } : {}) };
      }
      return result(input.dryRun, `state ${input.state}`, [`set server ... state ${input.state}`], input.domain);
    },
    async setServerWeight(input) {
      calls.push({ method: 'setServerWeight', input });
      const s = findServer(input.domain, input.slot, input.family);
      if (!input.dryRun) {
        if (s.source === 'manual') s.weight = input.weight;
        else s.override = { ...s.override, weight: input.weight };
      }
      return result(input.dryRun, `weight ${input.weight}`, [`set server ... weight ${input.weight}`], input.domain);
    },
    async clearOverride(input) {
      calls.push({ method: 'clearOverride', input });
      const s = findServer(input.domain, input.slot, input.family);
      if (!input.dryRun) delete s.override;
      return result(input.dryRun, 'override cleared', [`set server ... state ${s.state}`], input.domain);
    },
    async setHold(input) {
      calls.push({ method: 'setHold', input });
      const d = need(input.domain);
      if (!input.dryRun) {
        if (input.holdMs === null) delete d.holdOverride;
        else d.holdOverride = input.holdMs;
      }
      return result(input.dryRun, `hold ${input.holdMs ?? 'default'}`, [`add map hold.map ${input.domain} ${input.holdMs ?? 5000}`], input.domain);
    },
    async setRules(input) {
      calls.push({ method: 'setRules', input });
      const d = need(input.domain);
      if (!input.dryRun) {
        if (input.rules === null) delete d.rules;
        else d.rules = input.rules;
      }
      return result(input.dryRun, 'rules set', ['add map rules-hsts.map ...'], input.domain);
    },
    async health(domain): Promise<ServerHealth[]> {
      calls.push({ method: 'health', input: domain });
      const v = view(state, domain);
      if (!v) throw new NotFoundError(`domain=${JSON.stringify(domain)}: not routed`);
      return v.servers.map((s) => ({ name: s.name, backend: s.backend, family: s.family, slot: s.slot, address: s.address, port: s.port, status: s.effectiveState === 'maint' ? 'MAINT' : 'UP', checkStatus: 'L4OK', currentSessions: 0 }));
    },
    async syncSource(kind, servers) {
      calls.push({ method: 'syncSource', input: { kind, servers } });
      return { changed: false, plan: [], rejected: [] };
    },
    snapshot() {
      calls.push({ method: 'snapshot', input: undefined });
      return structuredClone(state);
    },
    async loadCert(load) {
      calls.push({ method: 'loadCert', input: load.path });
      return { created: false };
    },
    async restore() {
      calls.push({ method: 'restore', input: undefined });
      return [];
    },
  };
  return ops;
}

export interface FakeAdmin extends Admin {
  calls: Call[];
}

export function createFakeAdmin(): FakeAdmin {
  const calls: Call[] = [];
  let pid = 1000;
  const rows: StatRow[] = [
    { proxy: 'http_in', name: 'FRONTEND', type: 'frontend', status: 'OPEN', currentSessions: 2, maxSessions: 10, totalSessions: 50, bytesIn: 1, bytesOut: 2 },
    { proxy: 'pool_1', name: 'BACKEND', type: 'backend', status: 'UP', currentSessions: 1, maxSessions: 5, totalSessions: 20, bytesIn: 1, bytesOut: 2 },
    { proxy: 'pool_1', name: 'pool_1_1', type: 'server', status: 'UP', currentSessions: 1, maxSessions: 5, totalSessions: 20, bytesIn: 1, bytesOut: 2, address: '10.0.0.1:80', checkStatus: 'L4OK', weight: 1 },
    { proxy: 'pool_2', name: 'pool_2_1', type: 'server', status: 'MAINT', currentSessions: 0, maxSessions: 0, totalSessions: 0, bytesIn: 0, bytesOut: 0, address: '0.0.0.0:0' },
  ];
  return {
    calls,
    async info() {
      calls.push({ method: 'info', input: undefined });
      return { pid, uptimeSec: 5, version: '2.6.12', currConns: 2, raw: { Name: 'HAProxy', Pid: String(pid) } };
    },
    async stats() {
      calls.push({ method: 'stats', input: undefined });
      return rows;
    },
    async checkConfig() {
      calls.push({ method: 'checkConfig', input: undefined });
      return { valid: true, output: 'Configuration file is valid' };
    },
    async reload(reason) {
      calls.push({ method: 'reload', input: reason });
      const oldPid = pid;
      pid += 1;
      return { oldPid, newPid: pid, restoredCommands: 3 };
    },
    async saveState(file) {
      calls.push({ method: 'saveState', input: file });
      return { file: `/state/${file ?? 'server-state'}`, servers: 3 };
    },
    async restoreState(file, opts) {
      calls.push({ method: 'restoreState', input: file });
      return { file: `/state/${file ?? 'server-state'}`, dryRun: opts?.dryRun ?? false, summary: 'restored 1 server(s)', restored: [{ server: 'pool_1_1', domain: 'a.test', address: '10.0.0.1', port: 80, weight: 1, state: 'ready' }], skipped: [], plan: [] };
    },
  };
}
