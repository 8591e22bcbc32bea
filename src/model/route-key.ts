/**
 * @module Routes: a host (`a.test`) or a host and a path prefix
 * (`a.test/api`). A path route is a domain entry of its own (its own pool and
 * servers), keyed `host/path` in the desired state, so slots, checks, drains
 * and scopes treat it like any domain; domains.map keeps hosts only, and
 * paths.map sends `host/path/...` to the path's pool (longest prefix wins:
 * HAProxy's map_beg looks prefixes up in a tree, checked on 2.6 and 3.0).
 * Prefixes match whole segments: /api matches /api and /api/x, not /apix.
 */
import { z } from 'zod';
import { isHostname, refuseUnclean } from './names.ts';

/** Deepest prefix: each depth is one fixed strip rule in the rendered config. */
export const MAX_PATH_SEGMENTS = 8;
const SEGMENT = '[A-Za-z0-9._~%@+-]{1,100}';
export const ROUTE_PATH_PATTERN = `^(/${SEGMENT}){1,${MAX_PATH_SEGMENTS}}$`;
const PATH_MESSAGE = `not a path prefix (/ then up to ${MAX_PATH_SEGMENTS} segments of letters, digits, . _ ~ % @ + -, no trailing /)`;

/** A path prefix: `/api`, `/api/v2`; a trailing slash is dropped, `/` alone is no prefix at all. */
export const RoutePath = z
  .string()
  .overwrite((p) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p))
  .regex(new RegExp(ROUTE_PATH_PATTERN), { message: PATH_MESSAGE })
  .meta({ pattern: '^(/[A-Za-z0-9._~%@+-]{1,100}){1,8}/?$' })
  .describe('Path prefix routed to these servers, e.g. /api (longest prefix wins; whole segments)');

/** True for `host` or `host/path` with a valid host and prefix. */
export function isRouteKey(key: string): boolean {
  const { host, path } = splitRoute(key);
  return isHostname(host) && (path === undefined || new RegExp(ROUTE_PATH_PATTERN).test(path));
}

/** The key of a route: the host, or host + path. */
export function routeKey(host: string, path?: string): string {
  return path ? `${host}${path}` : host;
}

/** A route key's host and path prefix (absent for a host route). */
export function splitRoute(key: string): { host: string; path?: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { host: key } : { host: key.slice(0, slash), path: key.slice(slash) };
}

/** True for a path route's key. */
export const isPathRoute = (key: string): boolean => key.includes('/');

/** Key of the desired state's domains: a host (lowercased) or host/path. */
export const RouteKey = refuseUnclean(z.string())
  .overwrite((k) => {
    const { host, path } = splitRoute(k);
    return routeKey(host.toLowerCase(), path);
  })
  .refine((k) => isHostname(splitRoute(k).host), { message: 'not a valid host name (letters, digits, hyphens and dots; no port, no spaces)', abort: true })
  .refine(isRouteKey, { message: `not a host/path route: ${PATH_MESSAGE}` });
