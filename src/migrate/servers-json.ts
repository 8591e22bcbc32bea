/**
 * @module Reads the original suite's servers.json, whose format was never
 * documented, into flat server records. It accepts the plausible shapes
 * (per-domain slot objects, per-domain lists, `{pool, servers}` objects,
 * objects keyed by pool backend or by server name, the operator's own v1
 * file) and reports every entry it cannot read with its JSON path, so nothing
 * is dropped silently. Pure.
 */
import { DesiredState } from '../model/state.ts';
import { parseServerName } from '../model/state.ts';
import { Family, Hostname, IpAddress, Port, ServerState, Weight, CheckPath } from '../model/names.ts';
import type { ImportProblem } from './report.ts';

/** One server as found in servers.json, before pools are resolved against domains.map. */
export interface ServerRecord {
  /** JSON path of the entry it came from. */
  path: string;
  domain?: string;
  pool?: number;
  family: Family;
  slot: number;
  address: string;
  port: number;
  weight?: number;
  state?: ServerState;
  check?: string;
  /** True when the family was not stated and the original's port logic supplied it. */
  implied: boolean;
}

export interface ParsedServers {
  records: ServerRecord[];
  problems: ImportProblem[];
  notes: string[];
}

type Json = unknown;
type Obj = Record<string, Json>;

interface Hints {
  domain?: string;
  pool?: number;
  family?: Family;
  slot?: number;
}

const ADDRESS_KEYS = ['ip', 'addr', 'address', 'host', 'server_ip'] as const;
const PORT_KEYS = ['port', 'http_port'] as const;
const TLS_PORT_KEYS = ['https_port', 'ssl_port'] as const;
const NAME_KEYS = ['name', 'server', 'server_name'] as const;
const FAMILY_KEYS = ['family', 'type', 'proto', 'protocol'] as const;
const FAMILY_WORDS: Record<string, Family> = { http: 'http', ssl: 'ssl', https: 'ssl', tls: 'ssl', h3: 'h3', http3: 'h3', quic: 'h3' };
const DEFAULT_PORTS = new Set([80, 443]);

/** JSON path of a key sequence: `$["example.com"]["1"].port`. */
export function jsonPath(segments: ReadonlyArray<string | number>): string {
  return `$${segments
    .map((s) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`))
    .join('')}`;
}

function isObj(v: Json): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function first(o: Obj, keys: readonly string[]): [string, Json] | undefined {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return [k, o[k]];
  return undefined;
}

function parsePoolValue(v: Json): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  if (typeof v === 'string') {
    const m = /^(?:pool_)?([1-9]\d{0,5})$/.exec(v.trim());
    if (m) return Number(m[1]);
  }
  return undefined;
}

/**
 * Parses servers.json content (already JSON-decoded). `file` prefixes every
 * reported path. Entries without a stated family get the original's port
 * logic: port 80/443 or none gives `_1` (80), `_ssl_1` and `_h3_1` (443); any
 * other port gives the HTTP server only.
 */
export function parseOriginalServers(input: Json, file = 'servers.json'): ParsedServers {
  const out: ParsedServers = { records: [], problems: [], notes: [] };
  const problem = (segs: ReadonlyArray<string | number>, value: Json, reason: string): void => {
    out.problems.push({ path: `${file}:${jsonPath(segs)}`, value, reason });
  };
  if (!isObj(input)) {
    problem([], input, 'expected a JSON object at the top level');
    return out;
  }
  if ((input.version === 1 || input.version === 2) && isObj(input.domains)) {
    const v1 = DesiredState.safeParse(input);
    if (v1.success) {
      for (const [host, d] of Object.entries(v1.data.domains)) {
        d.servers.forEach((s, i) =>
          out.records.push({
            path: `${file}:${jsonPath(['domains', host, 'servers', i])}`,
            domain: host,
            pool: d.pool,
            family: s.family,
            slot: s.slot,
            address: s.address,
            port: s.port,
            weight: s.weight,
            state: s.state,
            ...(s.check ? { check: s.check } : {}),
            implied: false,
          }),
        );
      }
      out.notes.push(`${file} is already in the operator's format (version 1)`);
      return out;
    }
  }
  // A wrapper object {domains: {...}} without the version marker.
  const top = isObj(input.domains) && Object.keys(input).every((k) => k === 'domains' || k === 'version') ? input.domains : input;
  const base: string[] = top === input ? [] : ['domains'];

  for (const [key, value] of Object.entries(top)) {
    const segs = [...base, key];
    const poolKey = /^pool_([1-9]\d{0,5})$/.exec(key);
    if (poolKey) {
      const pool = Number(poolKey[1]);
      if (isObj(value) && (value.servers !== undefined || typeof value.domain === 'string')) {
        const hints: Hints = { pool };
        if (typeof value.domain === 'string') {
          const host = Hostname.safeParse(value.domain);
          if (host.success) hints.domain = host.data;
          else problem([...segs, 'domain'], value.domain, 'not a valid host name');
        }
        readContainer(value.servers ?? {}, [...segs, 'servers'], hints);
      } else readContainer(value, segs, { pool });
      continue;
    }
    const host = Hostname.safeParse(key);
    if (!host.success) {
      problem(segs, value, 'key is neither a host name nor a pool backend (pool_N)');
      continue;
    }
    readDomain(value, segs, host.data);
  }
  return out;

  function readDomain(value: Json, segs: Array<string | number>, domain: string): void {
    if (Array.isArray(value)) return readContainer(value, segs, { domain });
    if (!isObj(value)) return problem(segs, value, 'expected an object or a list of servers for this domain');
    const hints: Hints = { domain };
    if (value.pool !== undefined) {
      const pool = parsePoolValue(value.pool);
      if (pool === undefined) problem([...segs, 'pool'], value.pool, 'not a pool number or pool_N name');
      else hints.pool = pool;
    }
    if (value.servers !== undefined) return readContainer(value.servers, [...segs, 'servers'], hints);
    if (first(value, ADDRESS_KEYS)) {
      // The domain object is itself one server: slot 1 unless it says otherwise.
      return readEntry(value, segs, { ...hints, slot: 1 });
    }
    const rest: Obj = { ...value };
    delete rest.pool;
    readContainer(rest, segs, hints);
  }

  function readContainer(value: Json, segs: Array<string | number>, hints: Hints): void {
    if (Array.isArray(value)) {
      value.forEach((entry, i) => readEntry(entry, [...segs, i], hints));
      return;
    }
    if (!isObj(value)) return problem(segs, value, 'expected an object of slots or a list of servers');
    for (const [key, entry] of Object.entries(value)) {
      const at = [...segs, key];
      if (/^\d{1,4}$/.test(key)) {
        readEntry(entry, at, { ...hints, slot: Number(key) });
        continue;
      }
      const named = parseServerName(key);
      if (named) {
        if (hints.pool !== undefined && named.pool !== hints.pool) {
          problem(at, entry, `server name says pool_${named.pool} but the enclosing entry says pool_${hints.pool}`);
          continue;
        }
        readEntry(entry, at, { ...hints, ...named });
        continue;
      }
      readEntry(entry, at, hints, key);
    }
  }

  function readEntry(entry: Json, segs: Array<string | number>, hints: Hints, oddKey?: string): void {
    let obj: Obj;
    if (typeof entry === 'string') {
      const split = splitHostPort(entry);
      if (!split) return problem(segs, entry, 'expected "ip" or "ip:port" or an object with ip and port');
      obj = { ip: split.address, ...(split.port !== undefined ? { port: split.port } : {}) };
    } else if (isObj(entry)) obj = entry;
    else return problem(segs, entry, 'expected a server object with ip and port');

    const h: Hints = { ...hints };
    const name = first(obj, NAME_KEYS);
    if (name) {
      const named = typeof name[1] === 'string' ? parseServerName(name[1]) : undefined;
      if (!named) return problem([...segs, name[0]], name[1], 'not a server name (pool_N_K, pool_N_ssl_K, pool_N_h3_K)');
      for (const k of ['pool', 'family', 'slot'] as const) {
        if (h[k] !== undefined && h[k] !== named[k]) {
          return problem([...segs, name[0]], name[1], `server name says ${k} ${named[k]} but the key says ${h[k]}`);
        }
      }
      Object.assign(h, named);
    }
    if (obj.pool !== undefined) {
      const pool = parsePoolValue(obj.pool);
      if (pool === undefined) return problem([...segs, 'pool'], obj.pool, 'not a pool number or pool_N name');
      if (h.pool !== undefined && h.pool !== pool) return problem([...segs, 'pool'], obj.pool, `conflicts with pool_${h.pool}`);
      h.pool = pool;
    }
    if (obj.slot !== undefined) {
      const slot = typeof obj.slot === 'string' ? Number(obj.slot) : obj.slot;
      if (typeof slot !== 'number' || !Number.isInteger(slot) || slot < 1) return problem([...segs, 'slot'], obj.slot, 'not a slot number (1 or more)');
      if (h.slot !== undefined && h.slot !== slot) return problem([...segs, 'slot'], obj.slot, `conflicts with slot ${h.slot} from the key`);
      h.slot = slot;
    }
    if (h.slot === undefined) {
      return problem(segs, entry, oddKey !== undefined ? `key ${JSON.stringify(oddKey)} is neither a slot number nor a server name, and the entry has no slot` : 'entry has no slot or server name');
    }
    const fam = first(obj, FAMILY_KEYS);
    if (fam) {
      const word = typeof fam[1] === 'string' ? FAMILY_WORDS[fam[1].toLowerCase()] : undefined;
      if (!word) return problem([...segs, fam[0]], fam[1], 'not a server family (http, ssl/https, h3/quic)');
      if (h.family !== undefined && h.family !== word) return problem([...segs, fam[0]], fam[1], `conflicts with family ${h.family} from the server name`);
      h.family = word;
    }
    const addr = first(obj, ADDRESS_KEYS);
    if (!addr) return problem(segs, entry, `no address (one of ${ADDRESS_KEYS.join(', ')})`);
    let addressText = typeof addr[1] === 'string' ? addr[1] : '';
    let port: number | undefined;
    const split = typeof addr[1] === 'string' ? splitHostPort(addr[1]) : undefined;
    if (split?.port !== undefined) {
      addressText = split.address;
      if (!Port.safeParse(split.port).success) return problem([...segs, addr[0]], addr[1], 'port is not 1-65535');
      port = split.port;
    }
    const address = IpAddress.safeParse(addressText);
    if (!address.success) return problem([...segs, addr[0]], addr[1], 'not an IPv4 or IPv6 address');
    const portField = first(obj, PORT_KEYS);
    if (portField) {
      const p = Port.safeParse(portField[1]);
      if (!p.success || portField[1] === '' || typeof portField[1] === 'boolean') return problem([...segs, portField[0]], portField[1], 'not a port (1-65535)');
      port = p.data;
    }
    let tlsPort: number | undefined;
    const tlsField = first(obj, TLS_PORT_KEYS);
    if (tlsField) {
      const p = Port.safeParse(tlsField[1]);
      if (!p.success || typeof tlsField[1] === 'boolean') return problem([...segs, tlsField[0]], tlsField[1], 'not a port (1-65535)');
      tlsPort = p.data;
    }
    const extras: Pick<ServerRecord, 'weight' | 'state' | 'check'> = {};
    if (obj.weight !== undefined) {
      const w = Weight.safeParse(obj.weight);
      if (!w.success) return problem([...segs, 'weight'], obj.weight, 'not a weight (0-256)');
      extras.weight = w.data;
    }
    if (obj.state !== undefined) {
      const s = ServerState.safeParse(typeof obj.state === 'string' ? obj.state.toLowerCase() : obj.state);
      if (!s.success) return problem([...segs, 'state'], obj.state, 'not a server state (ready, drain, maint)');
      extras.state = s.data;
    }
    if (obj.check !== undefined && obj.check !== null && obj.check !== false) {
      const c = CheckPath.safeParse(obj.check);
      if (!c.success) return problem([...segs, 'check'], obj.check, 'not an HTTP health-check path');
      extras.check = c.data;
    }
    const common = { path: `${file}:${jsonPath(segs)}`, domain: h.domain, pool: h.pool, slot: h.slot, address: address.data, ...extras };
    if (h.family !== undefined) {
      out.records.push({ ...common, family: h.family, port: port ?? (h.family === 'http' ? 80 : 443), implied: false });
      return;
    }
    if (tlsPort !== undefined) {
      out.records.push({ ...common, family: 'http', port: port ?? 80, implied: false });
      out.records.push({ ...common, family: 'ssl', port: tlsPort, implied: false });
      out.records.push({ ...common, family: 'h3', port: tlsPort, implied: false });
      return;
    }
    if (port === undefined || DEFAULT_PORTS.has(port)) {
      out.records.push({ ...common, family: 'http', port: 80, implied: false });
      out.records.push({ ...common, family: 'ssl', port: 443, implied: true });
      out.records.push({ ...common, family: 'h3', port: 443, implied: true });
      return;
    }
    out.records.push({ ...common, family: 'http', port, implied: false });
  }
}

/** Splits `ip`, `ip:port` or `[v6]:port`; undefined when the text is none of those. */
function splitHostPort(text: string): { address: string; port?: number } | undefined {
  const t = text.trim();
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(t);
  if (v6) return { address: v6[1]!, ...(v6[2] ? { port: Number(v6[2]) } : {}) };
  const v4 = /^([^:]+):(\d{1,5})$/.exec(t);
  if (v4) return { address: v4[1]!, port: Number(v4[2]) };
  if (t.length > 0) return { address: t };
  return undefined;
}
