/**
 * Podman's events log followed as an early notice: appended container
 * events come out once each (a line split across writes included), other
 * lines are skipped, a truncated or rotated log is followed from its start,
 * an unreadable one is reported and leaves the API alone; the API's copy of
 * an event the log told is recognised once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeenEvents, defaultEventsLogPath, followEventsLog, parseLogLine } from '../../src/podman/events-log.ts';
import type { ContainerEvent } from '../../src/podman/event-stream.ts';
import { captureLogger } from '../dns/capture-logger.ts';
import { waitFor } from '../helpers/wait.ts';

const line = (id: string, status: string, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ ID: id, Image: 'img', Name: `n-${id}`, Status: status, Time: '2026-11-28T09:11:51.979638148Z', Type: 'container', Attributes: { 'haproxy.domain': 'a.test' }, ...extra })}\n`;

test('a log line: container events with a watched status, the time and labels kept; anything else skipped', () => {
  const e = parseLogLine(line('abc', 'start').trim(), 5);
  const atMs = Date.parse('2026-11-28T09:11:51.979Z');
  assert.deepEqual(e, { id: 'abc', action: 'start', time: Math.floor(atMs / 1000), atMs, receivedAt: 5, via: 'log', attributes: { 'haproxy.domain': 'a.test' } });
  assert.equal(parseLogLine(line('abc', 'exec').trim(), 5), undefined, 'not a watched status');
  assert.equal(parseLogLine(line('abc', 'start', { Type: 'image' }).trim(), 5), undefined, 'not a container');
  assert.equal(parseLogLine('{"ID":', 5), undefined, 'half a line');
  assert.equal(parseLogLine('null', 5), undefined);
  assert.equal(defaultEventsLogPath({}, 0), '/run/libpod/events/events.log');
  assert.equal(defaultEventsLogPath({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), '/run/user/1000/libpod/tmp/events/events.log');
  assert.equal(defaultEventsLogPath({}, 1000), undefined);
});

test('follows appends from the end, a split line once whole, then a truncation and a rotation from their start', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-evlog-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'events.log');
  await writeFile(file, line('old', 'start'));
  const seen: ContainerEvent[] = [];
  const cap = captureLogger();
  const follower = await followEventsLog(file, (e) => seen.push(e), cap.logger);
  assert.ok(follower);
  assert.match(cap.text(), /following Podman's events log/, 'the operator says it follows the log');
  t.after(() => follower.close());
  const ids = () => seen.map((e) => `${e.id}:${e.action}`);

  await appendFile(file, line('c1', 'start') + line('c1', 'exec'));
  await waitFor(() => ids().includes('c1:start'), { timeoutMs: 5000, message: 'the appended start' });
  const split = line('c2', 'died');
  await appendFile(file, split.slice(0, 20));
  await appendFile(file, split.slice(20));
  await waitFor(() => ids().includes('c2:died'), { timeoutMs: 5000, message: 'the split line' });
  assert.deepEqual(ids(), ['c1:start', 'c2:died'], 'the line already there and the exec are not reported; the split line once');

  await writeFile(file, line('c3', 'start')); // truncated and rewritten shorter
  await waitFor(() => ids().includes('c3:start'), { timeoutMs: 5000, message: 'the line after a truncation' });
  // Rotated as Podman does: the newer half of the old log copied into a new file, renamed over the name.
  await writeFile(join(dir, 'events.log.new'), line('c3', 'start') + line('c4', 'remove'));
  await rename(join(dir, 'events.log.new'), file);
  await appendFile(file, line('c5', 'start'));
  await waitFor(() => ids().includes('c5:start'), { timeoutMs: 5000, message: 'the rotated log' });
  assert.deepEqual(ids(), ['c1:start', 'c2:died', 'c3:start', 'c4:remove', 'c5:start'], 'the copied line is not told again');
});

test('a rotation before anything was read: what the log held at start is not told', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-evlog-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'events.log');
  await writeFile(file, line('old1', 'start') + line('old2', 'died'));
  const seen: string[] = [];
  const follower = await followEventsLog(file, (e) => seen.push(`${e.id}:${e.action}`), captureLogger().logger);
  assert.ok(follower);
  t.after(() => follower.close());
  await writeFile(join(dir, 'events.log.new'), line('old2', 'died') + line('n1', 'start'));
  await rename(join(dir, 'events.log.new'), file);
  await waitFor(() => seen.includes('n1:start'), { timeoutMs: 5000, message: 'the event after the rotation' });
  assert.deepEqual(seen, ['n1:start']);
});

test('a log not there yet is said once, then followed from when Podman creates it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-evlog-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'events.log');
  const cap = captureLogger();
  const seen: string[] = [];
  const follower = await followEventsLog(file, (e) => seen.push(`${e.id}:${e.action}`), cap.logger, Date.now, 20);
  t.after(() => follower.close());
  assert.equal(follower.following(), false);
  assert.match(cap.text(), /Podman events log not readable \(yet\): container events come through the API stream alone until it is/);
  assert.match(cap.text(), /events\.log/);
  await writeFile(file, line('before', 'start'));
  await waitFor(() => follower.following(), { timeoutMs: 5000, message: 'the log opened once it exists' });
  await appendFile(file, line('after', 'start'));
  await waitFor(() => seen.includes('after:start'), { timeoutMs: 5000, message: 'an event appended after it opened' });
  assert.deepEqual(seen, ['after:start'], 'what was there when it opened is not told');
  assert.equal(cap.text().match(/not readable \(yet\)/g)?.length, 1, 'said once, not at every retry');
});

test("each event once: the API's copy of what the log told, an API replay, died and die as one; another time is another event", () => {
  const seen = createSeenEvents(3);
  const ev = (id: string, action: string, atMs: number, via: 'api' | 'log'): ContainerEvent => ({ id, action, time: Math.floor(atMs / 1000), atMs, receivedAt: 0, via, attributes: {} });
  assert.deepEqual(seen.first(ev('c', 'start', 1000, 'log')), { first: true });
  assert.deepEqual(seen.first(ev('c', 'start', 1000, 'api')), { first: false, via: 'log' }, "the API's copy");
  assert.deepEqual(seen.first(ev('c', 'start', 1000, 'api')), { first: false, via: 'log' }, 'a replay of it (since=, or after a rotation)');
  assert.deepEqual(seen.first(ev('c', 'died', 2000, 'log')), { first: true });
  assert.deepEqual(seen.first(ev('c', 'die', 2000, 'api')), { first: false, via: 'log' }, "the compat API's die is the log's died");
  assert.deepEqual(seen.first(ev('c', 'start', 3000, 'api')), { first: true }, 'a later start is a new event');
  assert.deepEqual(seen.first(ev('c', 'start', 3000, 'api')), { first: false, via: 'api' }, 'an API replay of an event only the API told');
  seen.first(ev('d', 'start', 4000, 'api'));
  assert.deepEqual(seen.first(ev('c', 'start', 1000, 'api')), { first: true }, 'the oldest is forgotten past the size');
});
