/**
 * @module The client commands' declarations: name, summary, arguments and
 * flags. Parsing and --help both come from these, and CLI_COMMANDS is what
 * the main --help lists.
 */
import type { CommandSpec } from './args.ts';

export const OUTPUT_CHOICES = ['table', 'wide', 'yaml', 'json'] as const;

export const APPLY: CommandSpec = {
  name: 'apply',
  summary: 'Create or update Domain, Certificate and Issuer resources in the running operator from a YAML file.',
  details:
    'The file is validated first; when anything is wrong every problem is printed and nothing changes.\n' +
    'Examples:\n  haproxy-operator apply -f domains.yaml\n  cat web.yaml | haproxy-operator apply -f - --dry-run',
  positionals: [],
  flags: [
    { name: 'filename', short: 'f', value: 'FILE', help: 'manifest file (multi-document YAML allowed); - reads standard input' },
    { name: 'dry-run', help: 'validate and show what would change (including HAProxy runtime steps), change nothing' },
  ],
};

export const DELETE: CommandSpec = {
  name: 'delete',
  summary: 'Delete the resources named in a YAML file (kind and metadata.name) from the running operator.',
  details: 'Every resource must exist; otherwise nothing is deleted.\nExample:\n  haproxy-operator delete -f web.yaml',
  positionals: [],
  flags: [
    { name: 'filename', short: 'f', value: 'FILE', help: 'manifest file; - reads standard input' },
    { name: 'dry-run', help: 'show what would be deleted, change nothing' },
  ],
};

export const GET: CommandSpec = {
  name: 'get',
  summary: 'Show resources with their status conditions (Ready, reason, message).',
  details: 'Examples:\n  haproxy-operator get domains\n  haproxy-operator get domain web -o yaml\n  haproxy-operator get certificates -o wide',
  positionals: [
    { name: 'kind', required: true, help: 'domains, certificates or issuers (singular and short names work: domain, dom, cert)' },
    { name: 'name', required: false, help: 'one resource by metadata.name' },
  ],
  flags: [{ name: 'output', short: 'o', value: 'FORMAT', choices: OUTPUT_CHOICES, help: 'output format (default table; wide adds the Ready message)' }],
};

export const EXPLAIN: CommandSpec = {
  name: 'explain',
  summary: 'Explain how HAProxy routes a host: map entry, pool, servers with live health, families, certificate, and why traffic would fail.',
  details: 'The same content as the MCP tool haproxy_explain_route.\nExample:\n  haproxy-operator explain app.example.com',
  positionals: [{ name: 'host', required: true, help: 'host name as clients send it, without port' }],
  flags: [{ name: 'output', short: 'o', value: 'FORMAT', choices: ['text', 'json'], help: 'output format (default text)' }],
};

export const CERT_LIST: CommandSpec = {
  name: 'cert list',
  summary: 'List managed certificates: domains, expiry, next renewal, orders in the last 7 days, last error.',
  positionals: [],
  flags: [{ name: 'json', help: 'print JSON' }],
};

export const CERT_ISSUE: CommandSpec = {
  name: 'cert issue',
  summary: 'Order a certificate now (ACME DNS-01 through Cloudflare) and hot-load it into HAProxy.',
  details: 'Example:\n  haproxy-operator cert issue example.com --wildcard   (example.com and *.example.com)',
  positionals: [{ name: 'domain', required: true, help: 'the name; *.example.com implies --wildcard' }],
  flags: [
    { name: 'wildcard', help: 'also cover *.<domain> in the same certificate' },
    { name: 'json', help: 'print JSON' },
  ],
};

export const CERT_RENEW: CommandSpec = {
  name: 'cert renew',
  summary: 'Renew a managed certificate when it is due, or now with --force (within the order budget).',
  positionals: [{ name: 'domain', required: true, help: 'the certificate name (its first domain)' }],
  flags: [
    { name: 'force', help: 'renew even when not due' },
    { name: 'json', help: 'print JSON' },
  ],
};

export const EXPORT_KUBERNETES: CommandSpec = {
  name: 'export kubernetes',
  summary: 'Print this host\'s routes, containers and certificates as Gateway API and cert-manager manifests (changes nothing).',
  details:
    'Per routed host an HTTPRoute; per container a Service (and with --include-workloads the Pod from Podman\'s generator);\n' +
    'per address no container owns a Service plus an EndpointSlice; a Gateway; cert-manager Issuers and Certificates;\n' +
    'Secret stubs that say which key to fill (no secret value is ever printed). What Kubernetes cannot express is\n' +
    'a comment in the output and a note on stderr.\n' +
    'Examples:\n  haproxy-operator export kubernetes > cluster.yaml\n  haproxy-operator export kubernetes --namespace web --include-workloads -o ./k8s',
  positionals: [],
  flags: [
    { name: 'namespace', value: 'NS', help: 'metadata.namespace of every object (default: none, kubectl uses its current namespace)' },
    { name: 'gateway', value: 'NAME', help: 'name of the Gateway the routes attach to (default haproxy)' },
    { name: 'gateway-class', value: 'NAME', help: 'gatewayClassName of the Gateway (default haproxy)' },
    { name: 'include-workloads', help: "also export each container's workload from Podman's generator, with its readiness probe" },
    { name: 'output-dir', short: 'o', value: 'DIR', help: 'write one file per object into DIR (created if absent) instead of printing one YAML stream' },
  ],
};

export const CERT_SUBCOMMANDS: readonly CommandSpec[] = [CERT_LIST, CERT_ISSUE, CERT_RENEW];

/** The client commands runCli handles, with a one-line description each, for the main --help. */
export const CLI_COMMANDS: ReadonlyArray<{ name: string; usage: string; description: string }> = [
  { name: 'apply', usage: 'apply -f FILE [--dry-run]', description: 'create or update resources from YAML (validated first)' },
  { name: 'get', usage: 'get domains|certificates|issuers [NAME] [-o table|wide|yaml|json]', description: 'show resources with status' },
  { name: 'delete', usage: 'delete -f FILE [--dry-run]', description: 'delete the resources named in a YAML file' },
  { name: 'explain', usage: 'explain HOST [-o text|json]', description: 'how HAProxy routes a host, and why it would fail' },
  { name: 'export', usage: 'export kubernetes [--namespace NS] [--gateway NAME] [--gateway-class NAME] [--include-workloads] [-o DIR]', description: 'print Gateway API and cert-manager manifests for this host' },
  { name: 'cert', usage: 'cert list|issue DOMAIN [--wildcard]|renew DOMAIN [--force]', description: 'manage ACME certificates' },
];

/** `cert --help`: the subcommands. */
export function certGroupHelp(program = 'haproxy-operator'): string {
  return [
    `Usage: ${program} cert <list|issue|renew> [options]`,
    '',
    'Manage the certificates the operator issues and renews.',
    '',
    'Commands:',
    ...CERT_SUBCOMMANDS.map((s) => `  ${s.name.slice(5).padEnd(10)}${s.summary}`),
    '',
    `Run ${program} cert <command> --help for its options.`,
  ].join('\n');
}
