/**
 * @module DNS propagation check: poll until a TXT value is visible at every
 * resolver that matters (the configured list, or else the zone's authoritative
 * name servers), so the ACME server is told to validate only when it can
 * succeed. A timeout names the record and the last DNS error.
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { OperatorError, ValidationError } from '../model/errors.ts';

/** The TXT value did not appear in time. */
export class DnsPropagationError extends OperatorError {}

export interface PropagationDeps {
  logger: Logger;
  /** `ip:port` or `[ipv6]:port` (or a bare IP, port 53). Empty: the zone's authoritative NS. */
  resolvers?: string[];
  /** Pause between polls in ms (default 2000). */
  intervalMs?: number;
  /** Give up after this many ms (default 120000). */
  timeoutMs?: number;
  /** Per-query timeout in ms (default 2000). */
  queryTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Servers used to find the authoritative NS (default: the system's). */
  bootstrapServers?: string[];
}

export interface PropagationChecker {
  /** Resolves once `value` is among the TXT values of `name` at every resolver; throws DnsPropagationError on timeout. */
  waitForTxt(name: string, value: string, zoneName: string): Promise<void>;
}

/** Validates a resolver address (`ip`, `ip:port`, `[ipv6]:port`) and returns it in setServers form. */
export function parseResolverAddress(addr: string, field = 'dnsResolvers'): string {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(addr);
  if (v6) {
    if (isIP(v6[1]!) !== 6) throw new ValidationError(field, addr, 'not an IPv6 address in brackets');
    return checkPort(addr, v6[2], field) ? addr : `[${v6[1]}]:53`;
  }
  if (isIP(addr) === 6) return `[${addr}]:53`;
  const v4 = /^([0-9.]+)(?::(\d{1,5}))?$/.exec(addr);
  if (v4 && isIP(v4[1]!) === 4) return checkPort(addr, v4[2], field) ? addr : `${v4[1]}:53`;
  throw new ValidationError(field, addr, 'not a resolver address (IP, IP:port or [IPv6]:port; names are not allowed)');
}

function checkPort(addr: string, port: string | undefined, field: string): boolean {
  if (port === undefined) return false;
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ValidationError(field, addr, 'port must be 1-65535');
  return true;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { hostname?: string };
  return e?.code ? `${e.code}${e.hostname ? ` for ${e.hostname}` : ''}` : String((e as Error)?.message ?? err);
}

/** Creates a checker; every resolver must see the value (one lagging NS would fail validation). */
export function createPropagationChecker(deps: PropagationDeps): PropagationChecker {
  const configured = (deps.resolvers ?? []).map((r) => parseResolverAddress(r));
  const intervalMs = deps.intervalMs ?? 2000;
  const timeoutMs = deps.timeoutMs ?? 120_000;
  const queryTimeoutMs = deps.queryTimeoutMs ?? 2000;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;

  function resolverFor(server: string): Resolver {
    const r = new Resolver({ timeout: queryTimeoutMs, tries: 1 });
    r.setServers([server]);
    return r;
  }

  /** The IPs of the zone's NS records, as `ip:53`. */
  async function authoritative(zoneName: string): Promise<string[]> {
    const boot = new Resolver({ timeout: queryTimeoutMs, tries: 2 });
    if (deps.bootstrapServers?.length) boot.setServers(deps.bootstrapServers.map((s) => parseResolverAddress(s, 'bootstrapServers')));
    const names = await boot.resolveNs(zoneName);
    const out: string[] = [];
    for (const ns of names) {
      const v4 = await boot.resolve4(ns).catch(() => [] as string[]);
      const v6 = v4.length ? [] : await boot.resolve6(ns).catch(() => [] as string[]);
      out.push(...v4.map((ip) => `${ip}:53`), ...v6.map((ip) => `[${ip}]:53`));
    }
    if (out.length === 0) throw new Error(`no address for the name servers of ${zoneName} (${names.join(', ')})`);
    return out;
  }

  async function waitForTxt(name: string, value: string, zoneName: string): Promise<void> {
    const fqdn = name.replace(/\.$/, '');
    const deadline = now() + timeoutMs;
    let servers = configured;
    let lastError = 'none';
    const seen = new Set<string>();
    for (let poll = 1; ; poll++) {
      try {
        if (servers.length === 0) servers = await authoritative(zoneName);
        for (const server of servers) {
          if (seen.has(server)) continue;
          try {
            const records = await resolverFor(server).resolveTxt(fqdn);
            if (records.some((chunks) => chunks.join('') === value)) seen.add(server);
            else lastError = `${server} answers without the value (${records.length} TXT record(s))`;
          } catch (err) {
            lastError = `${server}: ${describe(err)}`;
          }
        }
        if (servers.length > 0 && servers.every((s) => seen.has(s))) {
          deps.logger.debug({ record: fqdn, polls: poll, servers }, 'TXT value visible');
          return;
        }
      } catch (err) {
        lastError = `finding the name servers of ${zoneName}: ${describe(err)}`;
      }
      if (now() + intervalMs > deadline) {
        throw new DnsPropagationError(
          `TXT ${fqdn} not visible at ${servers.length ? servers.join(', ') : `the name servers of ${zoneName}`} after ${timeoutMs} ms; last DNS error: ${lastError}`,
        );
      }
      await sleep(intervalMs);
    }
  }

  return { waitForTxt };
}
