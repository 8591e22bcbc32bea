import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPropagationChecker, parseResolverAddress, DnsPropagationError } from '../../src/dns/propagation.ts';
import { pebbleSkipReason, startPebble } from '../helpers/pebble.ts';
import { captureLogger } from './capture-logger.ts';

const skip = pebbleSkipReason();

test('resolver addresses: IPv4, IPv6, default port, names refused', () => {
  assert.equal(parseResolverAddress('127.0.0.1:8053'), '127.0.0.1:8053');
  assert.equal(parseResolverAddress('1.1.1.1'), '1.1.1.1:53');
  assert.equal(parseResolverAddress('::1'), '[::1]:53');
  assert.equal(parseResolverAddress('[::1]:5353'), '[::1]:5353');
  assert.throws(() => parseResolverAddress('ns1.example.com:53'), /dnsResolvers="ns1\.example\.com:53": not a resolver address/);
  assert.throws(() => parseResolverAddress('127.0.0.1:70000'), /port must be 1-65535/);
});

test('waits until challtestsrv serves the value, and times out naming the record', { skip }, async (t) => {
  const env = await startPebble();
  t.after(() => env.stop());
  const { logger } = captureLogger();
  const checker = createPropagationChecker({ logger, resolvers: [env.dnsAddress], intervalMs: 20, timeoutMs: 3000, queryTimeoutMs: 500 });

  const name = '_acme-challenge.p.test';
  const waiting = checker.waitForTxt(name, 'later-value', 'p.test');
  // Publish only after the checker has started polling: it must see the change.
  await fetch(`${env.challtestsrvUrl}/set-txt`, { method: 'POST', body: JSON.stringify({ host: `${name}.`, value: 'later-value' }) });
  await waiting;

  const short = createPropagationChecker({ logger, resolvers: [env.dnsAddress], intervalMs: 20, timeoutMs: 200, queryTimeoutMs: 200 });
  const err = await short.waitForTxt(name, 'never-published', 'p.test').catch((e: unknown) => e);
  assert.ok(err instanceof DnsPropagationError);
  assert.match(err.message, /TXT _acme-challenge\.p\.test not visible at 127\.0\.0\.1:\d+ after 200 ms; last DNS error: .*without the value/);
});

test('an unreachable resolver times out with its DNS error', async () => {
  const { logger } = captureLogger();
  // Port 9 on loopback: nothing answers DNS there.
  const checker = createPropagationChecker({ logger, resolvers: ['127.0.0.1:9'], intervalMs: 20, timeoutMs: 300, queryTimeoutMs: 100 });
  await assert.rejects(checker.waitForTxt('_acme-challenge.q.test', 'v', 'q.test'), /last DNS error: 127\.0\.0\.1:9: (ECONNREFUSED|ETIMEOUT)/);
});
