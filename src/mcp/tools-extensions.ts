/**
 * @module Tools backed by optional providers: certificates (list, issue,
 * renew) and containers (list, explain). Each is returned only when its
 * provider (or provider method) was injected.
 */
import { z } from 'zod';
import type { CertProvider, ContainerProvider } from './providers.ts';
import { DomainArg, DryRun } from './schemas.ts';
import { CursorArg, limitArg, PageOut, paginate } from './paging.ts';
import { Hostname } from '../model/names.ts';
import { defineTool } from './tool-kit.ts';
import type { ToolSpec } from './tool-kit.ts';

export interface ExtensionToolDeps {
  certs?: CertProvider;
  containers?: ContainerProvider;
  now?: () => number;
}

const CertSummaryOut = z.object({
  name: z.string(),
  dnsNames: z.array(z.string()),
  notAfter: z.string(),
  path: z.string(),
  ready: z.boolean().optional(),
  source: z.string().optional().describe('acme:<issuer> (who asked), file (imported or dropped in the cert directory), fallback'),
  issuer: z.string().optional(),
  lastError: z.string().optional(),
  nextAttempt: z.string().optional(),
});
const Force = z.boolean().default(false).describe('Order even inside the backoff after failures or past the order budget (recorded in the audit log)');
const CertChangeOut = z.object({ dryRun: z.boolean(), summary: z.string(), cert: CertSummaryOut.optional() });
const CertName = z
  .string()
  .regex(/^[A-Za-z0-9*][A-Za-z0-9*._-]{0,252}$/, { message: 'not a certificate name (as listed by haproxy_list_certs)' })
  .describe('Certificate name as listed by haproxy_list_certs');
const ContainerId = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, { message: 'not a container id or name' })
  .describe('Container id (full or short) or name');
/** A DNS name a certificate may cover: a host name or a one-label wildcard. */
const CertDomain = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => Hostname.safeParse(v.startsWith('*.') ? v.slice(2) : v).success, { message: 'not a host name or *.wildcard' })
  .describe('DNS name, e.g. example.com or *.example.com');

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
        output: z.object({ certs: z.array(CertSummaryOut.extend({ daysLeft: z.number() })), ...PageOut }),
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
          input: z.strictObject({ domains: z.array(CertDomain).min(1).max(100).describe('Names to cover; the first is the subject'), force: Force, dry_run: DryRun }),
          output: CertChangeOut,
          annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
          run: async (a) => ({ dryRun: a.dry_run, ...(await issue({ domains: a.domains, dryRun: a.dry_run, force: a.force })) }),
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
          input: z.strictObject({ name: CertName, force: Force.describe('Renew even when not due, inside the backoff or past the order budget (recorded in the audit log)'), dry_run: DryRun }),
          output: CertChangeOut,
          annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
          run: async (a) => ({ dryRun: a.dry_run, ...(await renew({ name: a.name, force: a.force, dryRun: a.dry_run })) }),
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
          containers: z.array(z.object({ id: z.string(), name: z.string(), state: z.string(), domains: z.array(z.string()), problems: z.array(z.string()), notes: z.array(z.string()).optional() })),
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
