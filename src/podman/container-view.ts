/**
 * @module One inspected container -> what it asks of HAProxy: decoded labels
 * or their problems, the chosen address, whether it may take traffic, and its
 * SourceServers. Pure: the watcher feeds it inspect data and keeps the result.
 */
import { routeKey } from '../model/route-key.ts';
import type { SourceServer } from '../operations/types.ts';
import type { ServerState } from '../model/names.ts';
import { chooseAddress, type ChosenAddress, type ContainerInspectLike } from './address.ts';
import { decodeLabels, formatLabelProblem, type ContainerLabels, type LabelDecision, type LabelProblem } from './labels.ts';
import { LABEL_PREFIX } from './label-keys.ts';

/** Everything the watcher knows about one container after an inspect. */
export interface ContainerView {
  id: string;
  /** Name without Podman's leading slash. */
  name: string;
  /** The container's `haproxy.*` labels only (other labels may hold secrets). */
  labels: Record<string, string>;
  decision: LabelDecision['kind'];
  config?: ContainerLabels;
  problems: LabelProblem[];
  /** The problems as one-line messages naming container, label and value. */
  errors: string[];
  address?: ChosenAddress;
  running: boolean;
  /** Podman State.Status: running, exited, paused, ... */
  status: string;
  /** healthy / unhealthy / starting when the container has a healthcheck. */
  health?: string;
  /** State its servers get while it runs; undefined when it has no servers. */
  serverState?: ServerState;
  /** Why it has (or has no) servers, in words. */
  reason: string;
  servers: SourceServer[];
}

/** Provenance of a container's servers. */
export function containerSource(id: string): `container:${string}` {
  return `container:${id}`;
}

function ownLabels(labels: Record<string, string> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => k.startsWith(LABEL_PREFIX)));
}

/**
 * Running with no healthcheck, or healthy -> ready; a healthcheck that is
 * starting or unhealthy, or a paused container -> maint (keeps its slot but
 * gets no traffic, nginx-proxy#987).
 */
function readiness(inspect: ContainerInspectLike): { state: ServerState; health?: string; reason: string } {
  const status = inspect.State?.Status ?? '';
  if (status === 'paused') return { state: 'maint', reason: 'paused' };
  const hasCheck = inspect.Config?.Healthcheck != null;
  if (!hasCheck) return { state: 'ready', reason: 'running (no healthcheck)' };
  const health = inspect.State?.Health?.Status || 'starting';
  if (health === 'healthy') return { state: 'ready', health, reason: 'running and healthy' };
  return { state: 'maint', health, reason: `healthcheck ${health}: no traffic until healthy` };
}

/** Evaluates one inspected container. Never throws: bad labels or addresses become problems. */
export function viewContainer(inspect: ContainerInspectLike): ContainerView {
  const labels = ownLabels(inspect.Config?.Labels);
  const name = (inspect.Name ?? inspect.Id.slice(0, 12)).replace(/^\//, '');
  const running = inspect.State?.Running === true;
  const status = inspect.State?.Status ?? (running ? 'running' : 'unknown');
  const decision = decodeLabels(labels);
  const view: ContainerView = { id: inspect.Id, name, labels, decision: decision.kind, problems: [], errors: [], running, status, reason: '', servers: [] };
  if (decision.kind === 'unlabelled') return { ...view, reason: 'no haproxy.* labels' };
  if (decision.kind === 'disabled') return { ...view, reason: 'haproxy.enable=false' };
  if (decision.kind === 'invalid') {
    return { ...view, problems: decision.problems, errors: decision.problems.map((p) => formatLabelProblem(name, p)), reason: 'invalid labels: skipped' };
  }
  view.config = decision.config;
  if (!running) {
    // The exit code tells "crashed at start" (a port already taken: exit 1) from a clean stop.
    const code = status === 'exited' && typeof inspect.State?.ExitCode === 'number' ? `, exit code ${inspect.State.ExitCode}` : '';
    return { ...view, reason: `not running (${status}${code})` };
  }
  const ready = readiness(inspect);
  if (ready.health !== undefined) view.health = ready.health;
  const chosen = chooseAddress(inspect, decision.config);
  if (!chosen.ok) {
    return { ...view, problems: [chosen.problem], errors: [formatLabelProblem(name, chosen.problem)], reason: 'no usable address: skipped' };
  }
  view.address = chosen.value;
  view.serverState = ready.state;
  view.reason = ready.reason;
  view.servers = decision.config.domains.map((domain) => {
    const server: SourceServer = {
      source: containerSource(inspect.Id),
      domain: routeKey(domain, decision.config.path),
      family: 'http',
      address: chosen.value.address,
      port: chosen.value.port,
      state: ready.state,
    };
    if (decision.config.weight !== undefined) server.weight = decision.config.weight;
    if (decision.config.check !== undefined) server.check = decision.config.check;
    if (decision.config.hold !== undefined) server.hold = decision.config.hold;
    if (decision.config.rules !== undefined) server.rules = decision.config.rules;
    return server;
  });
  return view;
}
