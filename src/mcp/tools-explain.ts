/**
 * @module haproxy_explain_route: for one host, the map entry, pool, servers
 * with live health and provenance, the certificate SNI would pick, and every
 * reason traffic would fail. The logic lives in explain.ts, shared with the
 * operator's HTTP API; this module only declares the tool.
 */
import type { Operations } from '../operations/types.ts';
import type { CertProvider } from './providers.ts';
import { defineTool } from './tool-kit.ts';
import type { ToolSpec } from './tool-kit.ts';
import { ExplainInput, ExplainOut, explainRoute, explainSummary } from './explain.ts';

export { pickCertificate } from './explain.ts';

export interface ExplainToolDeps {
  ops: Operations;
  certs?: CertProvider;
  now?: () => number;
}

/** The explain tool. */
export function explainTools(deps: ExplainToolDeps): ToolSpec[] {
  return [
    defineTool({
      name: 'haproxy_explain_route',
      title: 'Explain route',
      description:
        'Explain how HAProxy would route a host: its domains.map entry and pool, each server with live health, provenance and overrides, ' +
        'which server family serves HTTP, HTTPS and HTTP/3, which certificate SNI would pick, and why traffic would fail if it would.',
      input: ExplainInput,
      output: ExplainOut,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (a) => explainRoute(deps, a.host),
      text: explainSummary,
    }),
  ];
}
