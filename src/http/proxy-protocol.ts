/**
 * @module PROXY protocol version 2 (haproxy.org/download/2.6/doc/proxy-protocol.txt):
 * the binary header HAProxy's `send-proxy-v2` puts in front of a connection,
 * carrying the real client address. Parsing is pure; `readProxyHeader` reads
 * exactly the header from a socket and leaves the rest of the stream in place.
 */
import { isIPv4 } from 'node:net';
import type { Socket } from 'node:net';

/** The 12-byte signature that starts every v2 header. */
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const FIXED = 16;
/** Largest header we accept: fixed part + UNIX addresses + generous TLV room. */
const MAX_HEADER = FIXED + 216 + 1024;

export interface ProxyHeader {
  /** PROXY: relayed connection with addresses; LOCAL: the proxy's own (health check), no client address. */
  command: 'proxy' | 'local';
  family: 'inet' | 'inet6' | 'unix' | 'unspec';
  sourceAddress?: string;
  sourcePort?: number;
  destinationAddress?: string;
  destinationPort?: number;
  /** Bytes taken by the header, TLVs included. */
  length: number;
}

/** Thrown when the bytes are not a valid v2 header; the connection must be dropped. */
export class ProxyProtocolError extends Error {
  override name = 'ProxyProtocolError';
}

function ipv6(buf: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(buf.readUInt16BE(i).toString(16));
  const text = parts.join(':');
  // Collapse to the canonical short form by round-tripping through URL parsing.
  const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return canonical;
}

/**
 * Parses a v2 header at the start of `buf`. Returns undefined when more bytes
 * are needed; throws ProxyProtocolError when the bytes cannot be a v2 header.
 */
export function parseProxyV2(buf: Buffer): ProxyHeader | undefined {
  const prefix = Math.min(buf.length, PROXY_V2_SIGNATURE.length);
  if (!buf.subarray(0, prefix).equals(PROXY_V2_SIGNATURE.subarray(0, prefix))) {
    throw new ProxyProtocolError('connection did not start with a PROXY protocol v2 signature');
  }
  if (buf.length < FIXED) return undefined;
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) throw new ProxyProtocolError(`PROXY protocol version ${verCmd >> 4}, expected 2`);
  const cmd = verCmd & 0x0f;
  if (cmd > 1) throw new ProxyProtocolError(`PROXY protocol command ${cmd} unknown`);
  const famProto = buf[13]!;
  const length = FIXED + buf.readUInt16BE(14);
  if (length > MAX_HEADER) throw new ProxyProtocolError(`PROXY protocol header of ${length} bytes is too long`);
  if (buf.length < length) return undefined;
  const body = buf.subarray(FIXED, length);
  const command = cmd === 0 ? 'local' : 'proxy';
  const af = famProto >> 4;
  if (command === 'local' || af === 0) return { command, family: 'unspec', length };
  if (af === 1) {
    if (body.length < 12) throw new ProxyProtocolError('PROXY protocol INET address block too short');
    return {
      command,
      family: 'inet',
      sourceAddress: [...body.subarray(0, 4)].join('.'),
      destinationAddress: [...body.subarray(4, 8)].join('.'),
      sourcePort: body.readUInt16BE(8),
      destinationPort: body.readUInt16BE(10),
      length,
    };
  }
  if (af === 2) {
    if (body.length < 36) throw new ProxyProtocolError('PROXY protocol INET6 address block too short');
    return {
      command,
      family: 'inet6',
      sourceAddress: ipv6(body.subarray(0, 16)),
      destinationAddress: ipv6(body.subarray(16, 32)),
      sourcePort: body.readUInt16BE(32),
      destinationPort: body.readUInt16BE(34),
      length,
    };
  }
  if (af === 3) return { command, family: 'unix', length };
  throw new ProxyProtocolError(`PROXY protocol address family ${af} unknown`);
}

/** Builds a v2 PROXY header for a TCP connection from `source` (tests and tools use it to play HAProxy). */
export function encodeProxyV2(source: { address: string; port: number }, destination: { address: string; port: number }): Buffer {
  const v4 = isIPv4(source.address) && isIPv4(destination.address);
  const addrLen = v4 ? 12 : 36;
  const out = Buffer.alloc(FIXED + addrLen);
  PROXY_V2_SIGNATURE.copy(out, 0);
  out[12] = 0x21;
  out[13] = v4 ? 0x11 : 0x21;
  out.writeUInt16BE(addrLen, 14);
  const put = (address: string, at: number): number => {
    if (v4) {
      address.split('.').forEach((octet, i) => (out[at + i] = Number(octet)));
      return at + 4;
    }
    const full = new URL(`http://[${isIPv4(address) ? `::ffff:${address}` : address}]/`).hostname.slice(1, -1);
    const [head, tail] = full.includes('::') ? full.split('::') : [full, undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), at + i * 2));
    return at + 16;
  };
  let at = put(source.address, FIXED);
  at = put(destination.address, at);
  out.writeUInt16BE(source.port, at);
  out.writeUInt16BE(destination.port, at + 2);
  return out;
}

/**
 * Reads a v2 header from `socket`, pushing any bytes after it back into the
 * stream so the next reader (the HTTP parser) sees the request intact.
 * Rejects on a bad header, end of stream, or after `timeoutMs`.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxyHeader> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const finish = (err: Error | undefined, header?: ProxyHeader): void => {
      clearTimeout(timer);
      socket.removeListener('readable', onReadable);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', onError);
      if (err) reject(err);
      else resolve(header!);
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        buffered = Buffer.concat([buffered, chunk]);
        let header: ProxyHeader | undefined;
        try {
          header = parseProxyV2(buffered);
        } catch (err) {
          finish(err as Error);
          return;
        }
        if (header) {
          const rest = buffered.subarray(header.length);
          if (rest.length > 0) socket.unshift(rest);
          finish(undefined, header);
          return;
        }
      }
    };
    const onEnd = (): void => finish(new ProxyProtocolError('connection closed before a complete PROXY protocol header'));
    const onError = (err: Error): void => finish(err);
    const timer = setTimeout(() => finish(new ProxyProtocolError(`no PROXY protocol header within ${timeoutMs} ms`)), timeoutMs);
    socket.on('readable', onReadable);
    socket.on('end', onEnd);
    socket.on('error', onError);
  });
}
