/**
 * @module Checks every Quadlet unit in quadlet/ without Podman's generator
 * (Debian 12's Podman 4.3 has none; Quadlet needs 4.4): every key is one
 * podman-systemd.unit(5) accepts, the systemd sections are there, and the
 * mounts line up with the paths in deploy/config.example.yaml and in the
 * haproxy.cfg the operator renders from them, so HAProxy and the operator
 * see the same absolute paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseUnit, parseVolume, quadletKeys, values, type UnitFile } from './unit-file.ts';
import { renderFor } from '../../src/operator.ts';
import { ALL_OPTIONS } from '../../src/config/options.ts';
import { resolveSettings } from '../../src/config/settings.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const QUADLET = join(ROOT, 'quadlet');
const TYPE_SECTION: Record<string, string> = {
  container: 'Container', volume: 'Volume', network: 'Network', pod: 'Pod', kube: 'Kube', image: 'Image', build: 'Build',
};
// systemd keys these units may use (systemd.unit(5), systemd.service(5), systemd.exec(5)); a typo fails.
const SYSTEMD_KEYS: Record<string, Set<string>> = {
  Unit: new Set(['Description', 'Documentation', 'Wants', 'Requires', 'BindsTo', 'PartOf', 'After', 'Before', 'Conflicts', 'AssertPathExists', 'ConditionPathExists', 'StartLimitIntervalSec', 'StartLimitBurst']),
  Service: new Set(['Restart', 'RestartSec', 'TimeoutStartSec', 'TimeoutStopSec', 'ExecReload', 'ExecStartPre', 'ExecStartPost', 'Environment', 'EnvironmentFile']),
  Install: new Set(['WantedBy', 'RequiredBy', 'Alias']),
  Quadlet: new Set(['DefaultDependencies']),
};

function units(): Array<{ file: string; type: string; unit: UnitFile }> {
  return readdirSync(QUADLET)
    .filter((f) => f.split('.').pop()! in TYPE_SECTION)
    .map((file) => ({ file, type: file.split('.').pop()!, unit: parseUnit(readFileSync(join(QUADLET, file), 'utf8'), file) }));
}

function load(file: string): UnitFile {
  return parseUnit(readFileSync(join(QUADLET, file), 'utf8'), file);
}

const config = parseYaml(readFileSync(join(ROOT, 'deploy', 'config.example.yaml'), 'utf8')) as Record<string, unknown>;

/** True when `path` is inside a bind mount whose host and container paths are identical. */
function samePathMount(unit: UnitFile, path: string): boolean {
  return values(unit, 'Container', 'Volume')
    .map(parseVolume)
    .some((v) => v.source === v.destination && (path === v.destination || path.startsWith(`${v.destination}/`)));
}

test('quadlet/ has the two container units', () => {
  const names = units().map((u) => u.file).sort();
  assert.deepEqual(names.filter((n) => n.endsWith('.container')), ['haproxy-operator.container', 'haproxy.container']);
});

test('every key in every unit is one Quadlet or systemd accepts for its section', () => {
  const known = quadletKeys();
  assert.ok(known.size > 100, 'key list loaded');
  for (const { file, type, unit } of units()) {
    const own = TYPE_SECTION[type]!;
    assert.ok(unit.has(own), `${file}: has [${own}]`);
    for (const [section, entries] of unit) {
      for (const e of entries) {
        const ok = section === own ? known.has(`${section} ${e.key}`) : SYSTEMD_KEYS[section]?.has(e.key);
        assert.ok(ok, `${file}:${e.line}: [${section}] ${e.key} is not a known key`);
      }
    }
  }
});

test('container units have [Unit], [Service] with a restart policy, [Install], host network and an image', () => {
  for (const file of ['haproxy.container', 'haproxy-operator.container']) {
    const unit = load(file);
    for (const s of ['Unit', 'Container', 'Service', 'Install']) assert.ok(unit.has(s), `${file}: [${s}] present`);
    assert.deepEqual(values(unit, 'Service', 'Restart'), ['always'], `${file}: Restart=always`);
    assert.deepEqual(values(unit, 'Container', 'Network'), ['host'], `${file}: Network=host`);
    assert.equal(values(unit, 'Container', 'Image').length, 1, `${file}: one Image`);
    assert.ok(values(unit, 'Install', 'WantedBy').join(' ').includes('multi-user.target'), `${file}: enabled at boot`);
  }
});

test('the operator depends on haproxy.service and runs in external mode with the example config', () => {
  const op = load('haproxy-operator.container');
  assert.ok(values(op, 'Unit', 'Requires').includes('haproxy.service'));
  assert.ok(values(op, 'Unit', 'After').includes('haproxy.service'));
  const exec = values(op, 'Container', 'Exec').join(' ');
  assert.match(exec, /--mode external\b/);
  assert.equal(config.mode, 'external');
  const cfgPath = /--config (\S+)/.exec(exec)?.[1];
  assert.ok(cfgPath && samePathMount(op, cfgPath), `config file ${cfgPath} is inside the mount`);
  assert.equal(posix.dirname(cfgPath!), config.confDir, 'operator.yaml lives in confDir (where install.sh puts it)');
});

test("mounts line up: both containers see /opt/haproxy at the same path, and every configured path is inside it", () => {
  const ha = load('haproxy.container');
  const op = load('haproxy-operator.container');
  const shared = (u: UnitFile) => values(u, 'Container', 'Volume').map(parseVolume).find((v) => v.destination === '/opt/haproxy');
  assert.equal(shared(ha)?.source, '/opt/haproxy');
  assert.equal(shared(op)?.source, '/opt/haproxy');
  for (const key of ['stateDir', 'confDir', 'certDir', 'runDir', 'mcpTokenFile', 'cloudflareCredentials', 'resourcesDir']) {
    const path = config[key];
    assert.equal(typeof path, 'string', `config ${key} set`);
    assert.ok(samePathMount(op, path as string), `operator sees ${key}=${path}`);
  }
  for (const key of ['confDir', 'certDir', 'runDir']) assert.ok(samePathMount(ha, config[key] as string), `HAProxy sees ${key}`);
  const sock = config.podmanSocket as string;
  assert.ok(values(op, 'Container', 'Volume').map(parseVolume).some((v) => v.destination === sock), 'Podman socket mounted where podmanSocket points');

  const exec = values(ha, 'Container', 'Exec').join(' ');
  assert.equal(/ -f (\S+)/.exec(exec)?.[1], `${config.confDir}/haproxy.cfg`, 'HAProxy loads the rendered config from confDir');
  assert.equal(/ -S (\S+?)(,|\s|$)/.exec(exec)?.[1], `${config.runDir}/master.sock`, 'master socket in runDir');
  assert.match(exec, /^haproxy -W /, 'master-worker mode');
});

test('every path in the haproxy.cfg the operator renders from the example config is inside the HAProxy container mount', async () => {
  const ha = load('haproxy.container');
  // As `haproxy-operator render-config --config /opt/haproxy/conf/operator.yaml` would, with the MCP route on.
  const defs = ALL_OPTIONS;
  const settings = resolveSettings({ config: join(ROOT, 'deploy', 'config.example.yaml'), mcpHost: 'mcp.example.com' }, {}, '/', defs);
  // For the unit's image (3.2, built with QUIC): the UDP bind is inside the host network too.
  const cfg = await renderFor({ ...settings, pools: 2, slots: 2 }, { quic: true, quicOpensslCompat: false });
  const paths = [...cfg.matchAll(/(?:^|[\s(@,])(\/[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+)/gm)].map((m) => m[1]!);
  assert.ok(paths.includes(`${config.confDir}/domains.map`) && paths.includes(config.certDir as string), 'rendered cfg names map and cert dir');
  assert.ok(paths.some((p) => p.startsWith(`${config.runDir}/`)), 'rendered cfg puts sockets in runDir');
  for (const p of new Set(paths)) assert.ok(samePathMount(ha, p), `HAProxy container sees ${p}`);
  assert.match(cfg, new RegExp(`stats socket ipv4@${(config.runtimeApi as string).replace(/\./g, '\\.')} `), 'Runtime API where the operator looks');
  assert.match(cfg, /bind :80\b/);
  assert.match(cfg, /bind :443 ssl crt \/opt\/haproxy\/certs\b/);
  assert.match(cfg, /bind quic4@:443 ssl crt \/opt\/haproxy\/certs alpn h3\b/, 'HTTP/3 on UDP 443');
});

test('the HAProxy unit runs an LTS image with QUIC (3.2 or newer) on the host network (UDP 443 needs no publishing)', () => {
  const ha = load('haproxy.container');
  const image = values(ha, 'Container', 'Image')[0] ?? '';
  const m = /^docker\.io\/library\/haproxy:(\d+)\.(\d+)/.exec(image);
  assert.ok(m, `official haproxy image with a major.minor tag: ${image}`);
  assert.ok(Number(m[1]) > 3 || (Number(m[1]) === 3 && Number(m[2]) >= 2), `${image}: official images have QUIC from 3.2 on`);
  assert.deepEqual(values(ha, 'Container', 'Network'), ['host']);
});
