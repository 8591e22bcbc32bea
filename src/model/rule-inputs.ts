/**
 * @module The per-host rules (rules.ts RouteRules) as each source may give
 * them. Basic auth differs: a Domain manifest (and a label) names where the
 * credentials are, MCP gives users with passwords; both are hashed while
 * parsing, so what the operator holds (RouteRules) has hashes only.
 */
import { RouteRules } from './rules.ts';
import { ManifestBasicAuth, McpBasicAuth } from './basic-auth-input.ts';

/** Rules of a Domain resource (spec.rules): basic auth by credentialsRef only, never an inline password. */
export const ManifestRules = RouteRules.extend({ basicAuth: ManifestBasicAuth.optional() });

/** Rules as haproxy_set_rules takes them: basic auth by users and passwords only. */
export const McpRules = RouteRules.extend({ basicAuth: McpBasicAuth.optional() });
