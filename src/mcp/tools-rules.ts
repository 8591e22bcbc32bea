/**
 * @module haproxy_set_rules: sets (or clears) a route's rules: redirects,
 * response headers, access. A thin call into the operations API; the rules
 * schema is model/rules.ts, the one the labels and the Domain resource use.
 */
import { z } from 'zod';
import { McpRules } from '../model/rule-inputs.ts';
import type { Operations } from '../operations/types.ts';
import { ChangeOut, DomainArg, DryRun } from './schemas.ts';
import { defineTool } from './tool-kit.ts';
import type { ToolSpec } from './tool-kit.ts';

/** The rules tool. */
export function ruleTools(deps: { ops: Operations }): ToolSpec[] {
  return [
    defineTool({
      name: 'haproxy_set_rules',
      title: 'Set host rules',
      description:
        'Set the rules of a domain: redirectHttps, redirectTo (host), redirectCode (301/308), hsts, headers (a fixed set), and access rules. ' +
        'Replaces the rules set by this tool before; each field wins over the labels / Domain spec.rules until rules is null. ' +
        'Takes effect at once (maps, no reload) and is persisted. The answer is a one-line summary.',
      input: z.strictObject({
        domain: DomainArg,
        rules: McpRules.nullable().describe('The rules; null goes back to the source (labels, Domain spec.rules)'),
        dry_run: DryRun,
      }),
      output: ChangeOut,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      run: (a) => deps.ops.setRules({ domain: a.domain, rules: a.rules, dryRun: a.dry_run }),
      text: (out) => out.summary,
      compact: true,
    }),
  ];
}
