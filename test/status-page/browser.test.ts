/**
 * @module The status page in a real browser (Debian's chromium, headless,
 * through puppeteer-core) against a whole operator (runOperator: managed
 * HAProxy, the container watcher on its own Podman service, MCP on the
 * listener). Loopback is not trusted here, so the page must ask for the token.
 * It shows a container-routed host and a misspelt label's did-you-mean, then
 * a host added through MCP and a container stopped, without a reload; a
 * host opens its explain text; the filter hides other hosts; the phone-width
 * dark-mode screenshot goes to the test's temporary directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import puppeteer, { type Page } from 'puppeteer-core';
import { haproxyMissing } from '../helpers/haproxy.ts';
import { startBackend } from '../helpers/http.ts';
import { freePort } from '../helpers/ports.ts';
import { podmanSkipReason, startPodmanHarness, TEST_LABEL } from '../helpers/podman.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { resolveSettings } from '../../src/config/settings.ts';
import { ALL_OPTIONS } from '../../src/config/options.ts';
import { runOperator } from '../../src/wiring/run.ts';
import { createLogger } from '../../src/log.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'status-page-token-0123456789abcdef';

const skip = haproxyMissing() ?? (existsSync(CHROMIUM) ? undefined : `${CHROMIUM} missing (apt-get install chromium)`) ?? (await podmanSkipReason());

/** Text of the element matching `selector`, or '' while it does not exist. */
const textOf = (page: Page, selector: string) => page.$eval(selector, (e) => (e as HTMLElement).innerText).catch(() => '');

test('status page: token prompt, routed host, label problem, live MCP and container changes, explain, filter, phone dark mode', { skip: skip ?? false, timeout: 180_000 }, async (t) => {
  const defer = deferCleanup(t);
  const work = await mkdtemp(join(tmpdir(), 'hop-status-page-'));
  defer(() => rm(work, { recursive: true, force: true }));
  const h = await startPodmanHarness();
  defer(() => h.cleanup());
  const backend = await startBackend('mcp-added');
  defer(() => backend.close());

  const tokenFile = join(work, 'mcp-token.env');
  await writeFile(tokenFile, `MCP_TOKEN=${TOKEN}\n`, { mode: 0o600 });
  const listen = await freePort();
  const settings = resolveSettings(
    {
      stateDir: join(work, 'state'),
      bindAddress: '127.0.0.1',
      httpPort: String(await freePort()),
      httpsPort: String(await freePort()),
      runtimeApi: `127.0.0.1:${await freePort()}`,
      listen: `127.0.0.1:${listen}`,
      pools: '5',
      slots: '5',
      checkInterval: '500',
      podmanSocket: h.socketPath,
      containerSelector: `${TEST_LABEL}=${h.runId}`,
      mcpTokenFile: tokenFile,
      // Loopback deliberately untrusted: the page has to ask for the token.
      trustedNetworks: '100.64.0.0/10',
    },
    {},
    process.cwd(),
    ALL_OPTIONS,
  );
  const running = await runOperator(settings, createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false }));
  defer(() => running.stop());
  const url = `http://127.0.0.1:${listen}/`;

  const goodPort = await freePort();
  const good = await h.run({ port: goodPort, labels: { 'haproxy.domain': 'good.status.test', 'haproxy.port': String(goodPort) } });
  const bad = await h.run({ labels: { 'haproxy.domain': 'bad.status.test', 'haproxy.prot': '8080' } });

  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, `--user-data-dir=${join(work, 'chromium')}`] });
  defer(() => browser.close());
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${msg.text()} ${msg.location().url ?? ''}`);
  });
  const wait = (fn: string, message: string, timeoutMs = 10_000) => page.waitForFunction(fn, { timeout: timeoutMs, polling: 100 }).catch((e: Error) => assert.fail(`${message}: ${e.message}`));

  const first = await page.goto(url);
  assert.equal(first?.status(), 401, 'the page from an untrusted address without the token is a 401');
  await wait(`document.getElementById('token-form').classList.contains('shown')`, 'the page asks for the token');
  // Chromium logs each 401 (the document, the first event stream) as a console error: those are expected.
  const beforeToken = consoleErrors.splice(0);
  assert.ok(beforeToken.every((e) => /status of 401/.test(e)), `only 401 loads before the token: ${beforeToken.join(' | ')}`);
  await page.type('#token-input', TOKEN);
  await page.click('#token button');
  await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'no reload'));

  await wait(`document.querySelector('#host-list .host[data-host="good.status.test"]')?.innerText.includes('serving')`, 'the container-routed host shows as serving', 20_000);
  const goodText = await textOf(page, '#host-list .host[data-host="good.status.test"]');
  assert.match(goodText, new RegExp(`container ${good.name}`), 'server source names the container');
  assert.match(goodText, new RegExp(`127\\.0\\.0\\.1:${goodPort}`));
  assert.match(goodText, /\bhttp\b/);
  await wait(`document.getElementById('container-list').innerText.includes('did you mean haproxy.port?')`, "the misspelt label's problem is shown", 20_000);
  assert.match(await textOf(page, '#container-list'), new RegExp(`${bad.name}[\\s\\S]*invalid[\\s\\S]*label haproxy.prot="8080": unknown label; did you mean haproxy.port\\?`));
  assert.match(await textOf(page, '#facts'), /HAProxy:\s*running/);
  assert.match(await textOf(page, '#facts'), /Podman:\s*connected/);
  assert.match(await textOf(page, '#facts'), /Podman events log:\s*(followed \/\S+events\.log|not followed: API stream alone)/);
  assert.match(await textOf(page, '#live'), /live/);

  // A host added through MCP appears without a reload.
  const client = new Client({ name: 'status-page-test', version: '1.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  defer(() => client.close());
  const started = Date.now();
  const added = await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'mcp.status.test', ip: '127.0.0.1', port: backend.port } });
  assert.notEqual(added.isError, true, JSON.stringify(added.content));
  await wait(`document.querySelector('#host-list .host[data-host="mcp.status.test"]') !== null`, 'the MCP-added host appears', 5000);
  t.diagnostic(`MCP-added host shown after ${Date.now() - started} ms`);
  await wait(`document.getElementById('audit-list').innerText.includes('haproxy_add_domain')`, 'the audit log shows the MCP change', 5000);

  // A health-checked server whose backend goes away shows DOWN (HAProxy's check: inter 500 ms, fall 3).
  const checked = await startBackend('checked');
  defer(() => checked.close());
  const addedServer = await client.callTool({ name: 'haproxy_add_server', arguments: { domain: 'mcp.status.test', slot: 2, family: 'http', ip: '127.0.0.1', port: checked.port, check: '/' } });
  assert.notEqual(addedServer.isError, true, JSON.stringify(addedServer.content));
  const serverRow = `[...document.querySelectorAll('#host-list .host[data-host="mcp.status.test"] tr')].find((r) => /_2\\b/.test(r.cells[0]?.innerText ?? ''))?.innerText ?? ''`;
  await wait(`/\\bUP\\b/.test(${serverRow})`, 'the checked server shows UP', 10_000);
  await checked.close();
  const closedAt = Date.now();
  await wait(`/\\bDOWN\\b/.test(${serverRow})`, 'the checked server shows DOWN', 10_000);
  t.diagnostic(`server DOWN shown ${Date.now() - closedAt} ms after its backend closed`);

  // A stopped container shows as stopped, its host as 503, still without a reload.
  await h.stop(good.id);
  await wait(`(document.getElementById('failing-list').innerText.includes('good.status.test') || !document.querySelector('#host-list .host[data-host="good.status.test"]')) && /${good.name}\\s+exited/.test(document.getElementById('container-list').innerText)`, 'the stopped container and its host update', 20_000);
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: string }).marker), 'no reload', 'every update came without a reload');

  // Explain opens on demand.
  await page.click('#host-list .host[data-host="mcp.status.test"] details summary');
  await wait(`document.querySelector('#host-list .host[data-host="mcp.status.test"] details pre').innerText.includes('Route:')`, 'the explain text opens');
  assert.match(await textOf(page, '#host-list .host[data-host="mcp.status.test"] details pre'), /mcp\.status\.test pool_\d+/);

  // The filter hides hosts that do not match.
  await page.type('#filter', 'mcp.status');
  await wait(`document.querySelectorAll('#host-list .host').length === 1`, 'the filter leaves one host');

  // Phone width, dark mode: no sideways scrolling of the page, a dark background, a screenshot.
  await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 1 });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await page.$eval('#filter', (e) => ((e as HTMLInputElement).value = ''));
  await page.$eval('#filter', (e) => e.dispatchEvent(new Event('input')));
  const layout = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth, bg: getComputedStyle(document.body).backgroundColor }));
  assert.ok(layout.scroll <= layout.width, `no horizontal page scroll at phone width (${layout.scroll} > ${layout.width})`);
  assert.equal(layout.bg, 'rgb(20, 21, 24)', 'dark background under prefers-color-scheme: dark');
  const shot = join(work, 'status-page-phone-dark.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok((await stat(shot)).size > 10_000, 'screenshot written');
  t.diagnostic(`screenshot: ${shot}`);
  // The temporary directory goes at the end: STATUS_PAGE_SCREENSHOT=path keeps a copy to look at.
  if (process.env.STATUS_PAGE_SCREENSHOT) await copyFile(shot, process.env.STATUS_PAGE_SCREENSHOT);

  assert.deepEqual(pageErrors, [], 'no script error');
  assert.deepEqual(consoleErrors, [], 'no console error after the token');
});
