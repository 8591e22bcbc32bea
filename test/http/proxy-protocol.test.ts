/**
 * @module PROXY protocol v2 parsing: IPv4, IPv6, LOCAL, partial input, and
 * bytes that are not a v2 header.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeProxyV2, parseProxyV2, PROXY_V2_SIGNATURE, ProxyProtocolError } from '../../src/http/proxy-protocol.ts';

test('IPv4 and IPv6 headers round-trip through encode and parse', () => {
  const v4 = encodeProxyV2({ address: '203.0.113.7', port: 51234 }, { address: '127.0.0.1', port: 443 });
  assert.deepEqual(parseProxyV2(v4), { command: 'proxy', family: 'inet', sourceAddress: '203.0.113.7', destinationAddress: '127.0.0.1', sourcePort: 51234, destinationPort: 443, length: 28 });
  const v6 = encodeProxyV2({ address: '2001:db8::42', port: 1 }, { address: '::1', port: 80 });
  const p6 = parseProxyV2(v6)!;
  assert.equal(p6.family, 'inet6');
  assert.equal(p6.sourceAddress, '2001:db8::42');
  assert.equal(p6.destinationAddress, '::1');
  assert.equal(p6.length, 52);
});

test('IPv4-mapped IPv6 sources are reported as IPv4 (so IPv4 trusted ranges apply)', () => {
  const h = encodeProxyV2({ address: '::ffff:100.64.1.2', port: 1 }, { address: '::1', port: 80 });
  assert.equal(parseProxyV2(h)!.sourceAddress, '100.64.1.2');
});

test('partial headers need more bytes; trailing bytes are not consumed; TLVs are skipped', () => {
  const h = encodeProxyV2({ address: '198.51.100.1', port: 5 }, { address: '127.0.0.1', port: 6 });
  assert.equal(parseProxyV2(h.subarray(0, 5)), undefined);
  assert.equal(parseProxyV2(h.subarray(0, 20)), undefined);
  assert.equal(parseProxyV2(Buffer.concat([h, Buffer.from('GET / HTTP/1.1\r\n')]))!.length, 28);
  const tlv = Buffer.from([0x04, 0x00, 0x03, 0x61, 0x62, 0x63]);
  const withTlv = Buffer.concat([h, tlv]);
  withTlv.writeUInt16BE(12 + tlv.length, 14);
  const p = parseProxyV2(withTlv)!;
  assert.equal(p.length, 28 + tlv.length);
  assert.equal(p.sourceAddress, '198.51.100.1');
});

test('LOCAL command carries no client address', () => {
  const h = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  assert.deepEqual(parseProxyV2(h), { command: 'local', family: 'unspec', length: 16 });
});

test('anything else is rejected: plain HTTP, PROXY v1 text, wrong version, oversized', () => {
  assert.throws(() => parseProxyV2(Buffer.from('GET / HTTP/1.1\r\n')), ProxyProtocolError);
  assert.throws(() => parseProxyV2(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n')), ProxyProtocolError);
  const v1 = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x11, 0x11, 0x00, 0x0c])]);
  assert.throws(() => parseProxyV2(v1), /version 1/);
  const big = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
  assert.throws(() => parseProxyV2(big), /too long/);
});
