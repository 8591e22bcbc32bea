/**
 * @module Where the running operator is and which token to present: the
 * CLI reads the same settings the operator reads (listen, mcpTokenFile),
 * with the same precedence: flag, environment variable, config file key,
 * default. Only these two keys are read from the config file; the operator
 * validates the rest itself. The token is never printed.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { readConfigMapping } from '../config/config-file.ts';
import { OPTIONS, envName, flagName } from '../config/options.ts';
import { parseRuntimeAddress } from '../model/runtime-address.ts';
import { loadMcpToken } from '../mcp/auth.ts';
import { ValidationError } from '../model/errors.ts';

export interface Connection {
  /** http://host:port of the operator listener, as printed in errors. */
  baseUrl: string;
  host: string;
  port: number;
  /** Bearer token; absent when neither a token file nor the environment gives one. */
  token?: string;
}

const DEFAULT_LISTEN = OPTIONS.find((o) => o.key === 'listen')?.default ?? '127.0.0.1:8000';

function pick(key: string, flags: Record<string, string | true>, env: NodeJS.ProcessEnv, config: Record<string, unknown>, configPath?: string): { value: string; origin: string } | undefined {
  const flag = flags[flagName(key)];
  if (typeof flag === 'string') return { value: flag, origin: `--${flagName(key)}` };
  const fromEnv = env[envName(key)];
  if (fromEnv) return { value: fromEnv, origin: envName(key) };
  const fromFile = config[key];
  if (fromFile !== undefined && fromFile !== null) return { value: String(fromFile), origin: `${configPath}: ${key}` };
  return undefined;
}

/**
 * Resolves the operator address and token from the parsed connection flags
 * (`listen`, `mcp-token-file`, `config`) and the environment. Throws
 * ValidationError naming the setting for a bad address or unreadable token file.
 */
export async function resolveConnection(flags: Record<string, string | true>, env: NodeJS.ProcessEnv, cwd: string): Promise<Connection> {
  const configFlag = typeof flags.config === 'string' ? flags.config : env[envName('config')];
  const configPath = configFlag ? resolve(cwd, configFlag) : undefined;
  const config = configPath ? readConfigMapping(configPath) : {};
  const listen = pick('listen', flags, env, config, configPath) ?? { value: DEFAULT_LISTEN, origin: 'default listen' };
  const address = parseRuntimeAddress(listen.value, listen.origin);
  if (address.kind !== 'tcp') throw new ValidationError(listen.origin, listen.value, 'expected IP:PORT');
  // An operator bound to every interface is reached on loopback.
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  const baseUrl = `http://${isIP(host) === 6 ? `[${host}]` : host}:${address.port}`;
  const tokenFile = pick('mcpTokenFile', flags, env, config, configPath);
  let token: string | undefined;
  try {
    token = await loadMcpToken({ ...(tokenFile ? { file: resolve(cwd, tokenFile.value) } : {}), env });
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    // fs errors carry the path and code only, never the content.
    throw new ValidationError(tokenFile?.origin ?? '--mcp-token-file', tokenFile?.value, `cannot read the token file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { baseUrl, host, port: address.port, ...(token ? { token } : {}) };
}
