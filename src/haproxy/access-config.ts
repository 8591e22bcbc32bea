/**
 * @module The config lines of the access rules (model/access-rules.ts), the
 * same in both frontends and fixed at start: every decision comes from the
 * access maps, which the Runtime API changes, so a rule change never reloads.
 * A host with no access rule costs three map lookups that miss.
 *
 * Order: the allowlist (403) first, so refused networks are neither counted
 * nor asked for a password; then the rate limit (429), counted per host and
 * client address, so a password guesser is slowed down too; then basic auth
 * (401). Checked on HAProxy 2.6 and 3.0 (test/haproxy/access-rules.test.ts).
 */
import { ALLOW_NETS_FILE, RATE_WINDOW_S } from '../model/access-rules.ts';

/** Stick tables of the rate limit: accepted requests per host and client, over 1 s (burst) and the window (rate). */
export const RATE_TABLES = { burst: 'access_rate_1s', window: `access_rate_${RATE_WINDOW_S}s` } as const;

/** Most tracked host+client pairs; ~100 bytes each. */
const TABLE_SIZE = '100k';

/** A rule file's path by its stem (`rules`, `allow-nets`). */
type MapPath = (file: string) => string;

const has = (v: string) => `{ var(txn.${v}) -m found }`;

function allowRules(map: MapPath): string[] {
  return [
    // The longest allowlist network holding the client, or "-": then no host@net pair matches.
    `    http-request set-var(txn.acc_net) src,map_ip(${map(ALLOW_NETS_FILE)},-) if { var(txn.host),concat(:allow),map(${map('rules')}) -m found }`,
    `    http-request deny deny_status 403 if ${has('acc_net')} !{ var(txn.host),concat(@,txn.acc_net,:allow),map(${map('rules')}) -m found }`,
  ];
}

function rateRules(map: MapPath): string[] {
  const limited = has('acc_rate');
  const tooMany = (sc: number, limitVar: string, retryAfter: number) =>
    `    http-request return status 429 content-type text/plain string "too many requests\\n" hdr Retry-After ${retryAfter} if ${limited} { sc_gpc0_rate(${sc}),sub(txn.${limitVar}) -m int ge 0 }`;
  return [
    `    http-request set-var(txn.acc_rate) var(txn.host),concat(:rate-limit),map(${map('rules')})`,
    `    http-request set-var(txn.acc_key) src,concat(@,txn.host),sha1 if ${limited}`,
    `    http-request track-sc0 var(txn.acc_key) table ${RATE_TABLES.burst} if ${limited}`,
    `    http-request track-sc1 var(txn.acc_key) table ${RATE_TABLES.window} if ${limited}`,
    `    http-request set-var(txn.acc_burst) var(txn.acc_rate),field(1,:) if ${limited}`,
    `    http-request set-var(txn.acc_window) var(txn.acc_rate),field(2,:) if ${limited}`,
    tooMany(0, 'acc_burst', 1),
    tooMany(1, 'acc_window', RATE_WINDOW_S),
    // Only accepted requests count: a client over the limit gets through again once its accepted rate drops.
    `    http-request sc-inc-gpc0(0) if ${limited}`,
    `    http-request sc-inc-gpc0(1) if ${limited}`,
  ];
}

function authRules(map: MapPath): string[] {
  const guarded = has('acc_realm');
  return [
    `    http-request set-var(txn.acc_realm) var(txn.host),concat(:auth-realm),map(${map('rules')}),b64dec`,
    `    http-request set-var(txn.acc_user) http_auth_user if ${guarded}`,
    `    http-request set-var(txn.acc_cred) var(txn.host),concat(@,txn.acc_user,:auth-user),map(${map('rules')}) if ${guarded}`,
    `    http-request set-var(txn.acc_hash) var(txn.acc_cred),field(2,:) if ${guarded}`,
    `    http-request set-var(txn.acc_pass) http_auth_pass if ${guarded}`,
    // SHA-256 of the user's salt then the password, compared in constant time with the stored hash.
    `    http-request return status 401 content-type text/plain string "authentication required\\n" hdr WWW-Authenticate "Basic realm=\\"%[var(txn.acc_realm)]\\"" if ${guarded} !{ var(txn.acc_cred),field(1,:),concat(,txn.acc_pass),sha2(256),hex,lower,secure_memcmp(txn.acc_hash) }`,
  ];
}

/** The access rules of a frontend, before routing and after rule-config's SET_HOST (they read txn.host); `map` gives an access map's file. */
export function accessRequestRules(map: MapPath): string[] {
  return [...allowRules(map), ...rateRules(map), ...authRules(map)];
}

/** The backends holding the rate limit's stick tables. */
export function accessTables(): string[] {
  const table = (name: string, period: string) => [
    `backend ${name}`,
    `    stick-table type binary len 20 size ${TABLE_SIZE} expire ${2 * RATE_WINDOW_S}s store gpc0_rate(${period})`,
    '',
  ];
  return [...table(RATE_TABLES.burst, '1s'), ...table(RATE_TABLES.window, `${RATE_WINDOW_S}s`)];
}
