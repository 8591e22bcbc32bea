/**
 * @module Tools backed by optional providers: certificates (list, issue,
 * renew) and containers (list, explain). Each is returned only when its
 * provider (or provider method) was injected.
 */
import { z } from 'zod';
import { CertChange, CertDomain, CertIssueArgs, CertRenewArgs, CertSummary, ContainerSummary, type CertProvider, type ContainerProvider } from './providers.ts';
import { DomainArg, operationArgs, toolInput } from './schemas.ts';
import { CursorArg, limitArg, PageOut, paginate } from './paging.ts';
import { defineTool } from './tool-kit.ts';
import type { ToolSpec } from './tool-kit.ts';

export interface ExtensionToolDeps {
  certs?: CertProvider;
  containers?: ContainerProvider;
  now?: () => number;
}

const CertChangeOut = CertChange.extend({ dryRun: z.boolean() });
const ContainerId = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, { message: 'not a container id or name' })
  .describe('Container id (full or short) or name');

/** Whether certificate name `name` (maybe `*.zone`) covers `host`. */
function covers(name: string, host: string): boolean {
  if (name === host) return true;
  return name.startsWith('*.') && host.endsWith(name.slice(1)) && !host.slice(0, host.length - name.length + 1).includes('.');
}

/** Certificate and container tools for the providers present in `deps`. */
export function extensionTools(deps: ExtensionToolDeps): ToolSpec[] {
  const tools: ToolSpec[] = [];
  const { certs, containers } = deps;
  const now = deps.now ?? Date.now;
  if (certs) {
    tools.push(
      defineTool({
        name: 'haproxy_list_certs',
        title: 'List certificates',
        description:
          'List every certificate HAProxy serves or the operator manages (ACME from settings, tls=auto, Certificate resources; imported or dropped-in PEMs; the fallback) with names, source, issuer, expiry, days left and last error.',
        input: z.strictObject({ domain: CertDomain.optional().describe('Only certificates whose names cover this host (a wildcard covers one label)'), limit: limitArg(50, 500), cursor: CursorArg }),
        output: z.object({ certs: z.array(CertSummary.extend({ daysLeft: z.number() })), ...PageOut }),
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
        run: async (a) => {
          const all = (await certs.list()).filter((c) => a.domain === undefined || c.dnsNames.some((n) => covers(n, a.domain!)));
          const page = paginate(all, (c) => c.name, a.limit ?? 50, a.cursor);
          return {
            certs: page.items.map((c) => ({ ...c, daysLeft: c.notAfter ? Math.floor((Date.parse(c.notAfter) - now()) / 86_400_000) : 0 })),
            total: page.total,
            ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
          };
        },
        text: (o) =>
          o.certs
            .map((c) => `${c.name}: ${c.dnsNames.join(', ')} [${c.source ?? '?'}] (${c.notAfter ? `${c.daysLeft} days left` : 'not issued'})${c.lastError ? ` last error: ${c.lastError}` : ''}`)
            .join('\n') || 'no certificates',
      }),
    );
    const issue = certs.issue?.bind(certs);
    if (issue) {
      tools.push(
        defineTool({
          name: 'haproxy_issue_cert',
          title: 'Issue certificate',
          description:
            'Order a certificate from the configured ACME issuer (DNS-01) for the given names and hot-load it into HAProxy (no reload). Answers within about 40 s; a longer order goes on in the background (see haproxy_list_certs).',
          input: toolInput(CertIssueArgs),
          output: CertChangeOut,
          annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
          run: async (a) => ({ dryRun: a.dry_run, ...(await issue(operationArgs(a))) }),
          text: (o) => o.summary,
        }),
      );
    }
    const renew = certs.renew?.bind(certs);
    if (renew) {
      tools.push(
        defineTool({
          name: 'haproxy_renew_cert',
          title: 'Renew certificate',
          description: 'Renew a certificate now (force: even if not yet due) and hot-load it into HAProxy (no reload).',
          input: toolInput(CertRenewArgs),
          output: CertChangeOut,
          annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
          run: async (a) => ({ dryRun: a.dry_run, ...(await renew(operationArgs(a))) }),
          text: (o) => o.summary,
        }),
      );
    }
  }
  if (containers) {
    tools.push(
      defineTool({
        name: 'haproxy_list_containers',
        title: 'List containers',
        description: 'List labelled Podman containers with their domains and, for each one not routed, the reason (bad label, no address, pool full).',
        input: z.strictObject({ domain: DomainArg.optional().describe('Only containers that ask for this host'), limit: limitArg(50, 500), cursor: CursorArg }),
        output: z.object({
          containers: z.array(ContainerSummary),
          ...PageOut,
        }),
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
        run: async (a) => {
          const all = (await containers.listContainers()).filter((c) => a.domain === undefined || c.domains.includes(a.domain));
          const page = paginate(all, (c) => c.name, a.limit ?? 50, a.cursor);
          return { containers: page.items, total: page.total, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
        },
        text: (o) => o.containers.map((c) => `${c.name} ${c.state} ${c.domains.join(',')}${c.problems.length ? ` PROBLEMS: ${c.problems.join('; ')}` : ''}${c.notes?.length ? ` NOTES: ${c.notes.join('; ')}` : ''}`).join('\n') || 'no labelled containers',
      }),
      defineTool({
        name: 'haproxy_explain_container',
        title: 'Explain container',
        description: 'Everything the operator knows about one container: labels, decoded routing spec, chosen address, servers and problems.',
        input: z.strictObject({ id: ContainerId }),
        output: z.object({ container: z.record(z.string(), z.unknown()) }),
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
        run: async (a) => ({ container: await containers.explainContainer(a.id) }),
      }),
    );
  }
  return tools;
}
