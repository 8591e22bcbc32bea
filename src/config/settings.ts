/**
 * @module Resolves settings from flags, environment and the YAML config
 * file, in that order of precedence, over the defaults. A bad value is a
 * ValidationError naming where it came from (flag, variable or file key)
 * and the value; nothing starts with a bad setting.
 */
import { existsSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { readConfigMapping } from './config-file.ts';
import { ValidationError } from '../model/errors.ts';
import { Hostname } from '../model/names.ts';
import { parseRuntimeAddress, type RuntimeAddress } from '../model/runtime-address.ts';
import { ACME_OPTIONS, CONTAINER_OPTIONS, IMPORT_OPTIONS, OPTIONS, RENDER_OPTIONS, envName, flagName, settingNames, type OptionDef } from './options.ts';

export interface Settings {
  configFile?: string;
  mode: 'managed' | 'external';
  stateDir: string;
  confDir: string;
  certDir: string;
  runDir: string;
  haproxyBin: string;
  bindAddress: string;
  httpPort: number;
  httpsPort: number;
  runtimeApi: RuntimeAddress;
  pools: number;
  slots: number;
  checkInterval: number;
  /** HAProxy `timeout connect`, ms (also its retry pause on one server). */
  connectTimeout: number;
  maxconn: number;
  listen: { host: string; port: number };
  mcpHost?: string;
  mcpTokenFile?: string;
  trustedNetworks: string[];
  podmanSocket?: string;
  /** Directory of manifests; default <state dir>/resources. */
  resourcesDir: string;
  resyncInterval: number;
  logLevel: string;
  /** The ACME account (certificates are ordered only with an email). */
  acme: AcmeSettings;
  /** The Cloudflare DNS-01 solver. */
  dns: DnsSettings;
  containers: ContainerSettings;
  /** The `import` command's own options. */
  importer: ImporterSettings;
  /** `render-config`'s target HAProxy, when named by flags or asked through the Runtime API. */
  render: RenderSettings;
}

export interface RenderSettings {
  haproxyVersion?: string;
  haproxyFeatures: string;
  fromRuntime: boolean;
}

export interface AcmeSettings {
  email?: string;
  /** letsencrypt, letsencrypt-staging or an https:// directory URL. */
  directory: string;
  eab?: { keyId: string; hmacKeyFile: string };
  /** Extra CA bundle trusted for the ACME server. */
  caFile?: string;
  renewSchedule: string;
}

export interface DnsSettings {
  cloudflareCredentials?: string;
  cloudflareTokenFile?: string;
  cloudflareApiUrl: string;
  /** ip[:port] resolvers for the propagation check; empty: the zone's authoritative servers. */
  resolvers: string[];
  propagationTimeoutMs: number;
}

export interface ContainerSettings {
  enabled: boolean;
  drainTimeoutMs: number;
  /** key=value: only containers carrying this label (several operators on one host). */
  selector?: string;
  /** Podman's events log to follow, `auto` (the default place, if it is there) or `off`. */
  eventsLog: string;
}

export interface ImporterSettings {
  from?: string;
  dryRun: boolean;
  cloudflareIni?: string;
}

/** The MCP token file `import` writes into the conf dir; used when no token is configured. */
export const IMPORTED_TOKEN_FILE = 'mcp-token.env';

type Raw = Record<string, { value: string; origin: string }>;

function convert(def: OptionDef, value: string, origin: string): unknown {
  if (def.choices && !def.choices.includes(value)) throw new ValidationError(origin, value, `expected one of ${def.choices.join(', ')}`);
  switch (def.type) {
    case 'int': {
      const n = Number(value);
      if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new ValidationError(origin, value, 'not an integer');
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) throw new ValidationError(origin, value, `out of range ${def.min}-${def.max}`);
      return n;
    }
    case 'bool':
      if (!['true', 'false', '1', '0', 'yes', 'no'].includes(value)) throw new ValidationError(origin, value, 'not a boolean');
      return ['true', '1', 'yes'].includes(value);
    case 'list':
      return value.split(',').map((v) => v.trim()).filter(Boolean);
    default:
      return value;
  }
}

/** Runs a conversion; a ValidationError also names every way to set the option (flag, variable, config key). */
function named<T>(key: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(error.field, error.value, `${error.reason} (setting ${settingNames(key)})`);
  }
}

function parseListen(value: string, origin: string): { host: string; port: number } {
  const address = parseRuntimeAddress(value, origin);
  if (address.kind !== 'tcp') throw new ValidationError(origin, value, 'expected IP:PORT');
  return { host: address.host, port: address.port };
}

/** Reads the YAML config file; unknown keys are an error with a hint. */
function readConfigFile(path: string, defs: readonly OptionDef[]): Raw {
  const doc = readConfigMapping(path);
  const raw: Raw = {};
  const known = new Map(defs.map((d) => [d.key, d]));
  for (const [key, value] of Object.entries(doc)) {
    if (!known.has(key) || key === 'config') throw new ValidationError(`${path}: ${key}`, value, `unknown option; known: ${defs.map((d) => d.key).filter((k) => k !== 'config').join(', ')}`);
    raw[key] = { value: Array.isArray(value) ? value.join(',') : String(value), origin: `${path}: ${key}` };
  }
  return raw;
}

export interface ParsedArgs {
  values: Record<string, string>;
  positionals: string[];
  help: boolean;
}

/** Splits argv into --option values and positionals; an unknown flag is an error naming it. */
export function parseArgv(argv: readonly string[], defs: readonly OptionDef[] = OPTIONS): ParsedArgs {
  const byFlag = new Map(defs.map((d) => [flagName(d.key), d]));
  const values: Record<string, string> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const def = byFlag.get(name);
    if (!def) {
      positionals.push(arg);
      continue;
    }
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (value === undefined) {
      if (def.type === 'bool' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))) value = 'true';
      else value = argv[++i];
    }
    if (value === undefined) throw new ValidationError(`--${name}`, '', 'missing value');
    values[def.key] = value;
  }
  return { values, positionals, help };
}

/** Resolves settings: flags > environment > config file > defaults. */
/** `defs` is OPTIONS plus the options of modules wired in main.ts. */
export function resolveSettings(flags: Record<string, string>, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), defs: readonly OptionDef[] = OPTIONS): Settings {
  const raw: Raw = {};
  for (const d of defs) if (d.default !== undefined) raw[d.key] = { value: d.default, origin: `default ${d.key}` };
  const configPath = flags.config ?? env[envName('config')];
  if (configPath) Object.assign(raw, readConfigFile(resolve(cwd, configPath), defs));
  for (const d of defs) {
    const v = env[envName(d.key)];
    if (v !== undefined && v !== '') raw[d.key] = { value: v, origin: envName(d.key) };
  }
  for (const [key, value] of Object.entries(flags)) raw[key] = { value, origin: `--${flagName(key)}` };

  const typed: Record<string, unknown> = {};
  // A module's options left out of `defs` (a command that does not take them) still give its slice their defaults.
  for (const d of [...ACME_OPTIONS, ...CONTAINER_OPTIONS, ...IMPORT_OPTIONS, ...RENDER_OPTIONS]) if (d.default !== undefined) typed[d.key] = convert(d, d.default, `default ${d.key}`);
  for (const d of defs) {
    const r = raw[d.key];
    if (!r) continue;
    typed[d.key] = named(d.key, () => convert(d, r.value, r.origin));
  }
  const text = (key: string) => (typed[key] === undefined || typed[key] === '' ? undefined : String(typed[key]));
  const path = (key: string) => (text(key) === undefined ? undefined : resolve(cwd, text(key)!));
  const stateDir = resolve(cwd, String(typed.stateDir));
  const dirOr = (key: string, fallback: string) => (typed[key] ? resolve(cwd, String(typed[key])) : fallback);
  let mcpHost: string | undefined;
  if (typed.mcpHost) {
    const parsed = Hostname.safeParse(typed.mcpHost);
    if (!parsed.success) throw new ValidationError(raw.mcpHost!.origin, typed.mcpHost, 'not a valid host name');
    mcpHost = parsed.data;
  }
  const settings: Settings = {
    mode: typed.mode as Settings['mode'],
    stateDir,
    confDir: dirOr('confDir', stateDir),
    certDir: dirOr('certDir', join(stateDir, 'certs')),
    runDir: dirOr('runDir', join(stateDir, 'run')),
    haproxyBin: String(typed.haproxyBin),
    bindAddress: String(typed.bindAddress ?? ''),
    httpPort: typed.httpPort as number,
    httpsPort: typed.httpsPort as number,
    runtimeApi: named('runtimeApi', () => parseRuntimeAddress(String(typed.runtimeApi), raw.runtimeApi!.origin)),
    pools: typed.pools as number,
    slots: typed.slots as number,
    checkInterval: typed.checkInterval as number,
    connectTimeout: typed.connectTimeout as number,
    maxconn: typed.maxconn as number,
    listen: named('listen', () => parseListen(String(typed.listen), raw.listen!.origin)),
    trustedNetworks: typed.trustedNetworks as string[],
    resourcesDir: dirOr('resourcesDir', join(stateDir, 'resources')),
    resyncInterval: typed.resyncInterval as number,
    logLevel: String(typed.logLevel),
    acme: {
      directory: String(typed.acmeDirectory),
      renewSchedule: String(typed.renewSchedule),
      ...optional({ email: text('acmeEmail'), caFile: path('acmeCaFile') }),
      ...(text('acmeEabKeyId') ? { eab: { keyId: text('acmeEabKeyId')!, hmacKeyFile: path('acmeEabHmacFile') ?? '' } } : {}),
    },
    dns: {
      cloudflareApiUrl: String(typed.cloudflareApiUrl),
      resolvers: (typed.dnsResolvers as string[] | undefined) ?? [],
      propagationTimeoutMs: typed.dnsPropagationTimeout as number,
      ...optional({ cloudflareCredentials: path('cloudflareCredentials'), cloudflareTokenFile: path('cloudflareTokenFile') }),
    },
    containers: {
      enabled: typed.containers as boolean,
      drainTimeoutMs: typed.drainTimeout as number,
      eventsLog: eventsLogSetting(typed.podmanEventsLog, cwd),
      ...optional({ selector: text('containerSelector') }),
    },
    importer: { dryRun: typed.dryRun as boolean, ...optional({ from: path('from'), cloudflareIni: path('cloudflareIni') }) },
    render: { haproxyFeatures: String(typed.haproxyFeatures ?? ''), fromRuntime: typed.fromRuntime as boolean, ...optional({ haproxyVersion: text('haproxyVersion') }) },
  };
  if (configPath) settings.configFile = resolve(cwd, configPath);
  if (mcpHost) settings.mcpHost = mcpHost;
  if (typed.mcpTokenFile) settings.mcpTokenFile = resolve(cwd, String(typed.mcpTokenFile));
  else if (!env[envName('mcpToken')] && existsSync(join(settings.confDir, IMPORTED_TOKEN_FILE))) {
    // What `import` carried over from the original is the token from then on.
    settings.mcpTokenFile = join(settings.confDir, IMPORTED_TOKEN_FILE);
  }
  if (typed.podmanSocket) settings.podmanSocket = String(typed.podmanSocket);
  return settings;
}

/** `auto` (also when the command has no such option), `off`, or a path resolved against `cwd`. */
function eventsLogSetting(value: unknown, cwd: string): string {
  const text = value === undefined ? 'auto' : String(value);
  return text === 'auto' || text === 'off' ? text : resolve(cwd, text);
}

/** The entries of `values` that are defined (exactOptionalPropertyTypes-friendly spreading). */
function optional<T extends Record<string, string | undefined>>(values: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}

/** `--help` text: every option with its flag, variable and default. */
export function helpText(usage: string, defs: readonly OptionDef[] = OPTIONS): string {
  const lines = [usage, '', 'Options (flag / environment variable / config key, default):'];
  for (const d of defs) {
    const def = d.default === undefined ? '' : ` (default: ${d.default === '' ? '""' : d.default})`;
    lines.push(`  --${flagName(d.key)} <${d.type === 'int' ? 'n' : d.type === 'list' ? 'a,b' : 'value'}>`);
    lines.push(`      ${envName(d.key)} / ${d.key}${def}`);
    lines.push(`      ${d.help}${d.choices ? ` [${d.choices.join('|')}]` : ''}`);
  }
  return lines.join('\n');
}
