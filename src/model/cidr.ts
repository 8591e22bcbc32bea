/**
 * @module IPv4 and IPv6 networks (CIDR) for per-host allowlists: parsing to
 * one canonical text (so the same network is always the same map key),
 * containment, and the allowlist maps HAProxy's longest-match `map_ip`
 * reads. Pure; node:net only checks the literal.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  /** Canonical text: network address (host bits zero, IPv6 compressed lowercase) "/" prefix. */
  text: string;
  v6: boolean;
  /** Network address, 4 or 16 bytes. */
  bytes: Uint8Array;
  prefix: number;
}

function v4Bytes(ip: string): Uint8Array {
  return Uint8Array.from(ip.split('.').map(Number));
}

/** 16 bytes of an IPv6 literal; the WHATWG URL parser writes any form (embedded IPv4 too) as hex groups first. */
function v6Bytes(ip: string): Uint8Array {
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head, tail] = canonical.split('::') as [string, string | undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function bytesText(bytes: Uint8Array, v6: boolean): string {
  if (!v6) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** Zeroes the bits after `prefix`. */
function mask(bytes: Uint8Array, prefix: number): Uint8Array {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/**
 * Parses "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128).
 * Returns a reason string for anything else, including a network written
 * with host bits set ("10.1.2.3/8": the sender meant 10.0.0.0/8 or 10.1.2.3).
 */
export function parseCidr(input: string): Cidr | string {
  const m = /^([0-9A-Fa-f.:]{2,45})(?:\/([0-9]{1,3}))?$/.exec(input);
  if (!m) return 'not an IPv4 or IPv6 network (for example 10.0.0.0/8, 2001:db8::/32, or one address)';
  const [, ip, bits] = m as unknown as [string, string, string | undefined];
  const v6 = isIPv6(ip);
  if (!v6 && !isIPv4(ip)) return 'not an IPv4 or IPv6 address before the /';
  const max = v6 ? 128 : 32;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return `prefix longer than ${max} bits`;
  const raw = v6 ? v6Bytes(ip) : v4Bytes(ip);
  if (v6 && isV4Mapped(raw, prefix)) return parseCidr(`${bytesText(raw.slice(12), false)}/${prefix - 96}`);
  const bytes = mask(raw, prefix);
  if (bytes.some((b, i) => b !== raw[i])) return `host bits set: the network is ${bytesText(bytes, v6)}/${prefix}`;
  return { text: `${bytesText(bytes, v6)}/${prefix}`, v6, bytes, prefix };
}

/**
 * An IPv4-mapped IPv6 network (::ffff:1.2.3.4/128, ::ffff:10.0.0.0/104).
 * HAProxy matches an IPv4 client against IPv4 entries (and a mapped client
 * address is converted too), so such a network is held as the IPv4 network
 * it names: one key per network, and overlaps with IPv4 entries seen.
 */
function isV4Mapped(bytes: Uint8Array, prefix: number): boolean {
  return prefix >= 96 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/** True when every address of `inner` is in `outer`. */
export function covers(outer: Cidr, inner: Cidr): boolean {
  if (outer.v6 !== inner.v6 || outer.prefix > inner.prefix) return false;
  return mask(inner.bytes, outer.prefix).every((b, i) => b === outer.bytes[i]);
}

/**
 * The two maps of per-host allowlists, for hosts with their CIDR lists.
 * `nets`: each distinct network once, valued by itself: HAProxy's `map_ip`
 * returns the longest (most specific) network holding the client address.
 * `pairs`: `host` for each host with an allowlist, and `host@net` for each
 * network of `nets` that one of the host's networks covers, so the most
 * specific match is right even when networks of several hosts overlap.
 */
export function allowlistMaps(hosts: Map<string, readonly string[]>): { nets: string[]; pairs: string[] } {
  const byText = new Map<string, Cidr>();
  const parsed = new Map<string, Cidr[]>();
  for (const [host, list] of hosts) {
    const cidrs = list.map(parseCidr).filter((c): c is Cidr => typeof c !== 'string');
    parsed.set(host, cidrs);
    for (const c of cidrs) byText.set(c.text, c);
  }
  const nets = [...byText.keys()].sort();
  const pairs: string[] = [];
  for (const [host, cidrs] of parsed) {
    pairs.push(host);
    for (const net of nets) if (cidrs.some((c) => covers(c, byText.get(net)!))) pairs.push(`${host}@${net}`);
  }
  return { nets, pairs: pairs.sort() };
}
