/**
 * @module Where HAProxy should send a container's traffic, chosen only from
 * the inspect data and the labels so the same container always gets the same
 * answer. Ambiguity (several networks, no haproxy.network) is an error, not a
 * guess: guessing is how traefik#979 sends traffic to the wrong network.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { ContainerLabels, LabelProblem } from './labels.ts';
import { LABEL_ADDRESS, LABEL_NETWORK, LABEL_PORT } from './label-keys.ts';

/** The parts of a Podman container inspect this module reads (Docker-compatible API shape). */
export interface ContainerInspectLike {
  Id: string;
  Name?: string;
  Config?: { Labels?: Record<string, string> | null; Healthcheck?: unknown } | null;
  State?: { Running?: boolean; Status?: string; ExitCode?: number; Health?: { Status?: string } | null } | null;
  HostConfig?: { NetworkMode?: string } | null;
  NetworkSettings?: {
    /** Podman: null for host-network containers. */
    Networks?: Record<string, { IPAddress?: string; GlobalIPv6Address?: string } | null> | null;
    /** `{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"18081"}]}`; a port with no binding maps to null. */
    Ports?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null;
  } | null;
}

/** How the address was chosen, for explain output. */
export type AddressMode = 'host' | 'network' | 'published';

export interface ChosenAddress {
  address: string;
  port: number;
  mode: AddressMode;
  /** The network whose address was used (mode network). */
  network?: string;
}

export type AddressResult = { ok: true; value: ChosenAddress } | { ok: false; problem: LabelProblem };

const LOOPBACK = '127.0.0.1';

function isUnspecified(ip: string | undefined): boolean {
  return ip === undefined || ip === '' || ip === '0.0.0.0' || ip === '::';
}

function networkIp(entry: { IPAddress?: string; GlobalIPv6Address?: string } | null | undefined): string | undefined {
  if (!entry) return undefined;
  if (entry.IPAddress && isIPv4(entry.IPAddress)) return entry.IPAddress;
  if (entry.GlobalIPv6Address && isIPv6(entry.GlobalIPv6Address)) return entry.GlobalIPv6Address;
  return undefined;
}

function choosePublished(inspect: ContainerInspectLike, config: ContainerLabels): AddressResult {
  const key = `${config.port}/tcp`;
  const bindings = (inspect.NetworkSettings?.Ports?.[key] ?? []).filter((b) => /^\d+$/.test(b.HostPort ?? ''));
  if (bindings.length === 0) {
    return {
      ok: false,
      problem: {
        field: LABEL_ADDRESS,
        value: 'published',
        message: `container port ${key} is not published (${LABEL_PORT}=${config.port}); publish it with -p 127.0.0.1:HOSTPORT:${config.port}`,
      },
    };
  }
  // Loopback first: HAProxy runs on this host and tests only send to 127.0.0.1.
  const pick =
    bindings.find((b) => b.HostIp === LOOPBACK) ??
    bindings.find((b) => isUnspecified(b.HostIp)) ??
    [...bindings].sort((a, b) => (a.HostIp ?? '').localeCompare(b.HostIp ?? ''))[0]!;
  const address = isUnspecified(pick.HostIp) ? LOOPBACK : pick.HostIp!;
  return { ok: true, value: { address, port: Number(pick.HostPort), mode: 'published' } };
}

/**
 * Chooses the address and port for a running container: published -> the host
 * port bound for haproxy.port (127.0.0.1 preferred, unspecified host IPs mean
 * 127.0.0.1); host network -> 127.0.0.1 and the container port; one network ->
 * its IP; several -> the one named by haproxy.network, else an error.
 */
export function chooseAddress(inspect: ContainerInspectLike, config: ContainerLabels): AddressResult {
  if (config.address === 'published') return choosePublished(inspect, config);
  const mode = inspect.HostConfig?.NetworkMode ?? '';
  if (mode === 'host') {
    if (config.network !== undefined) {
      return {
        ok: false,
        problem: { field: LABEL_NETWORK, value: config.network, message: 'the container uses the host network; remove this label' },
      };
    }
    return { ok: true, value: { address: LOOPBACK, port: config.port, mode: 'host' } };
  }
  const networks = Object.entries(inspect.NetworkSettings?.Networks ?? {})
    .map(([name, entry]) => ({ name, ip: networkIp(entry) }))
    .filter((n): n is { name: string; ip: string } => n.ip !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
  if (config.network !== undefined) {
    const match = networks.find((n) => n.name === config.network);
    if (match) return { ok: true, value: { address: match.ip, port: config.port, mode: 'network', network: match.name } };
    const names = networks.map((n) => n.name).join(', ') || 'none';
    return {
      ok: false,
      problem: { field: LABEL_NETWORK, value: config.network, message: `the container has no address on this network (its networks: ${names})` },
    };
  }
  if (networks.length === 1) {
    const [only] = networks;
    return { ok: true, value: { address: only!.ip, port: config.port, mode: 'network', network: only!.name } };
  }
  if (networks.length === 0) {
    return {
      ok: false,
      problem: {
        field: LABEL_ADDRESS,
        value: config.address,
        message: `the container has no network address (network mode ${JSON.stringify(mode)}); use the host network or ${LABEL_ADDRESS}=published`,
      },
    };
  }
  return {
    ok: false,
    problem: {
      field: LABEL_NETWORK,
      value: undefined,
      message: `required: the container is on several networks (${networks.map((n) => n.name).join(', ')}); set ${LABEL_NETWORK} to one of them`,
    },
  };
}
