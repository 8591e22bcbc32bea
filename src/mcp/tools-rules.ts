/**
 * @module haproxy_set_rules: sets (or clears) a route's rules: redirects,
 * response headers, path strip-prefix, access. A thin call into the
 * operations API with the operation's own schema (model/operations.ts
 * setRules, whose rules are model/rule-inputs.ts McpRules: the schema the
 * labels and the Domain resource use, with basic auth as users and passwords).
 */
import { operationInputs } from '../model/operations.ts';
import type { Operations } from '../operations/types.ts';
import { ChangeOut, operationArgs, toolInput } from './schemas.ts';
import { defineTool, type ToolSpec } from './tool-kit.ts';

/** The rules tool. */
export function ruleTools(deps: { ops: Operations; slots: number }): ToolSpec[] {
  const inputs = operationInputs(deps.slots);
  return [
    defineTool({
      name: 'haproxy_set_rules',
      title: 'Set host rules',
      description:
        'Set the rules of a domain (or of a host/path route): redirectHttps, redirectTo (host), redirectCode (301/308), hsts, headers (a fixed set), ' +
        'stripPrefix (path routes), and access rules. Replaces the rules set by this tool before; each field wins over the labels / Domain spec.rules ' +
        'until rules is null. Takes effect at once (maps, no reload) and is persisted. The answer is a one-line summary.',
      input: toolInput(inputs.setRules),
      output: ChangeOut,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      run: (a) => deps.ops.parsed.setRules(operationArgs(a)),
      text: (out) => out.summary,
      compact: true,
    }),
  ];
}
