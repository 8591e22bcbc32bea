/**
 * @module The Kubernetes-style resources (Domain, Certificate, Issuer) as zod
 * schemas: the single source of truth for manifest validation and, through
 * scripts/gen-crds.ts, for the CRDs in crds/. Every pattern here is also
 * written into the schema's JSON form (`.meta`), so the CRD rejects what zod
 * rejects; refinements that JSON Schema cannot express are avoided or backed
 * by an equivalent pattern. Spec objects are strict: an unknown field (an
 * inline token, a typo) is an error, never silently ignored.
 */
import { z } from 'zod';
import { CheckPath, Family, Hostname, IpAddress, Port, ServerState, Weight } from './names.ts';
import { Condition } from './conditions.ts';
import { HoldString } from './hold.ts';
import { ManifestRules } from './rule-inputs.ts';
import { RoutePath } from './route-key.ts';

export const API_GROUP = 'haproxy-operator.io';
export const API_VERSION = 'v1alpha1';
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

export const KINDS = ['Domain', 'Certificate', 'Issuer'] as const;
export type Kind = (typeof KINDS)[number];

/** Names used by the CLI and in CRDs: plural, singular, short names. */
export const KIND_NAMES: Record<Kind, { plural: string; singular: string; shortNames: string[] }> = {
  Domain: { plural: 'domains', singular: 'domain', shortNames: ['dom'] },
  Certificate: { plural: 'certificates', singular: 'certificate', shortNames: ['cert', 'certs'] },
  Issuer: { plural: 'issuers', singular: 'issuer', shortNames: [] },
};

/** Maps `domains`, `domain`, `dom`, `Domain` (any case) to the kind; undefined when unknown. */
export function resolveKind(word: string): Kind | undefined {
  const w = word.toLowerCase();
  return KINDS.find((k) => {
    const n = KIND_NAMES[k];
    return k.toLowerCase() === w || n.plural === w || n.singular === w || n.shortNames.includes(w);
  });
}

// Kubernetes' DNS-1123 subdomain. Written without look-around so the same
// pattern works in Go's RE2 (the API server), ajv and JavaScript.
const DNS_LABEL = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
export const DNS1123_SUBDOMAIN = `^${DNS_LABEL}(\\.${DNS_LABEL})*$`;
const WILDCARD_DNS_NAME = `^(\\*\\.)?${DNS_LABEL}(\\.${DNS_LABEL})*$`;

/** metadata.name: a DNS-1123 subdomain, short enough for `manifest:<Kind>/<name>` and file names. */
export const ResourceName = z
  .string()
  .max(200, { message: 'longer than 200 characters' })
  .regex(new RegExp(DNS1123_SUBDOMAIN), { message: 'not a DNS-1123 name (lowercase letters, digits, - and .)' })
  .describe('Resource name: lowercase letters, digits, - and . (DNS-1123)');
export type ResourceName = z.infer<typeof ResourceName>;

/** A routed host in a manifest: the canonical lowercase form only (names.ts Hostname behind it). */
export const ManifestHostname = z
  .string()
  .max(253, { message: 'longer than 253 characters' })
  .regex(new RegExp(DNS1123_SUBDOMAIN), { message: 'not a valid host name (lowercase letters, digits, hyphens and dots; no port)' })
  .pipe(Hostname)
  .describe('Host name, for example app.example.com (lowercase; no port)');

/** A certificate DNS name: a host name, or a wildcard `*.example.com`. */
export const DnsName = z
  .string()
  .max(253, { message: 'longer than 253 characters' })
  .regex(new RegExp(WILDCARD_DNS_NAME), { message: 'not a DNS name (host name or *.host name, lowercase)' })
  .describe('DNS name for the certificate, for example example.com or *.example.com');

const ManifestIp = IpAddress.meta({ anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] });

// names.ts Port and Weight coerce strings (labels are strings); a manifest is
// typed YAML, where "80" in quotes is a mistake the CRD would reject, so here
// the number must be a number. Same ranges and messages as names.ts.
const PORT_MESSAGE = { message: 'not a port (1-65535)' };
const ManifestPort = z.number(PORT_MESSAGE).int(PORT_MESSAGE).min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE).describe(Port.description ?? '');
const WEIGHT_MESSAGE = { message: 'not a weight (0-256)' };
const ManifestWeight = z.number(WEIGHT_MESSAGE).int(WEIGHT_MESSAGE).min(0, WEIGHT_MESSAGE).max(256, WEIGHT_MESSAGE).describe(Weight.description ?? '');

// names.ts CheckPath forbids ; " ' \ # with a refinement JSON Schema cannot
// carry; this pattern is the same rule as one character class.
const ManifestCheckPath = CheckPath.meta({ pattern: '^/[\\x21\\x24-\\x26\\x28-\\x3a\\x3c-\\x5b\\x5d-\\x7e]{0,255}$' });

/** A Go-style duration as cert-manager uses: 720h, 90m, 1h30m. */
export const Duration = z
  .string()
  .regex(/^([0-9]{1,6}(ms|s|m|h))+$/, { message: 'not a duration (for example 720h, 90m, 1h30m)' })
  .describe('Duration such as 720h, 90m or 1h30m');

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a Duration string; throws on a string Duration rejects. */
export function parseDuration(text: string): number {
  if (!Duration.safeParse(text).success) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}

export const ObjectMeta = z
  .object({
    name: ResourceName,
    generation: z.number().int().min(1).optional().describe('Spec version; the operator derives one when absent'),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .describe('Standard object metadata; name is required');
export type ObjectMeta = z.infer<typeof ObjectMeta>;

export const LocalRef = z.strictObject({ name: ResourceName }).describe('Reference to another resource by name');

export const DomainServer = z.strictObject({
  address: ManifestIp,
  port: ManifestPort,
  weight: ManifestWeight.optional(),
  state: ServerState.optional().describe('ready (default), drain or maint'),
  family: Family.optional().describe('http (default): plain HTTP; ssl: TLS to the server; h3: for HTTP/3 clients'),
  check: ManifestCheckPath.optional(),
});
export type DomainServer = z.infer<typeof DomainServer>;

export const DomainResourceSpec = z.strictObject({
  hosts: z.array(ManifestHostname).min(1).max(100).describe('Host names routed to the servers'),
  servers: z.array(DomainServer).min(1).max(100).describe('Backend servers; each serves every host'),
  tls: z
    .strictObject({ certificateRef: LocalRef.describe('The Certificate serving these hosts') })
    .optional()
    .describe('TLS for the hosts, from a Certificate resource'),
  hold: HoldString.optional(),
  path: RoutePath.optional(),
  rules: ManifestRules.optional().describe('Rules for the hosts: redirects, response headers, access (no reload to change them)'),
});
export type DomainResourceSpec = z.infer<typeof DomainResourceSpec>;

export const CertificateSpec = z.strictObject({
  dnsNames: z.array(DnsName).min(1).max(100),
  issuerRef: LocalRef.describe('The Issuer that signs this certificate'),
  renewBefore: Duration.optional().describe('Renew this long before expiry (default 720h)'),
});
export type CertificateSpec = z.infer<typeof CertificateSpec>;

/** Absolute path of a file holding a secret (read by the operator, never copied into status). */
const SecretFile = z
  .string()
  .regex(/^\/.{0,4095}$/, { message: 'not an absolute file path' })
  .describe('Absolute path of a file holding the secret');
const EnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { message: 'not an environment variable name' })
  .describe('Name of an environment variable holding the secret');

/** A secret by reference: exactly one of a file or an environment variable. */
export const SecretRef = z
  .strictObject({ file: SecretFile.optional(), env: EnvName.optional() })
  .refine((r) => (r.file === undefined) !== (r.env === undefined), { message: 'give exactly one of file or env' })
  .meta({ minProperties: 1, maxProperties: 1 })
  .describe('Secret by reference: exactly one of file or env');
export type SecretRef = z.infer<typeof SecretRef>;

export const FileRef = z.strictObject({ file: SecretFile }).describe('Secret in a file');

export const ACME_SERVERS = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
} as const;

export const AcmeServer = z
  .union([
    z.enum(['letsencrypt', 'letsencrypt-staging']),
    z.string().regex(/^https:\/\/[^\s/]+(\/\S*)?$/, { message: 'not an https URL or letsencrypt/letsencrypt-staging' }),
  ])
  .describe('ACME directory URL (https), or letsencrypt / letsencrypt-staging');

/** The directory URL an AcmeServer value names. */
export function acmeDirectoryUrl(server: string): string {
  return (ACME_SERVERS as Record<string, string>)[server] ?? server;
}

export const IssuerSpec = z.strictObject({
  acme: z.strictObject({
    server: AcmeServer,
    email: z.email({ message: 'not an email address' }).describe('Account contact email'),
    caBundleRef: z
      .strictObject({ file: z.string().regex(/^\/.{0,4095}$/, { message: 'not an absolute file path' }).describe('Absolute path of a PEM file') })
      .optional()
      .describe("CA certificates (PEM) trusted for the ACME server's HTTPS, for a private CA; default: the --acme-ca-file setting"),
    externalAccountBinding: z
      .strictObject({
        keyID: z.string().min(1).max(256).regex(/^[\x21-\x7e]+$/, { message: 'not a key ID (printable ASCII, no spaces)' }),
        hmacKeyRef: FileRef.describe('File holding the base64url HMAC key'),
      })
      .optional()
      .describe('External account binding (EAB) for CAs that require it'),
    solver: z.strictObject({
      dns01: z.strictObject({
        cloudflare: z.strictObject({
          apiTokenRef: SecretRef.describe('Cloudflare API token (Zone:DNS:Edit) by reference'),
        }),
      }),
    }),
  }),
});
export type IssuerSpec = z.infer<typeof IssuerSpec>;

export const ResourceStatus = z
  .object({
    conditions: z.array(Condition).optional(),
    observedGeneration: z.number().int().min(0).optional(),
  })
  .describe('Written by the operator');
export type ResourceStatus = z.infer<typeof ResourceStatus>;

function resourceSchema<K extends Kind, S extends z.ZodType>(kind: K, spec: S) {
  return z.object({
    apiVersion: z.literal(GROUP_VERSION, { message: `must be ${GROUP_VERSION}` }),
    kind: z.literal(kind),
    metadata: ObjectMeta,
    spec,
    status: ResourceStatus.optional(),
  });
}

export const DomainResource = resourceSchema('Domain', DomainResourceSpec);
export type DomainResource = z.infer<typeof DomainResource>;
export const CertificateResource = resourceSchema('Certificate', CertificateSpec);
export type CertificateResource = z.infer<typeof CertificateResource>;
export const IssuerResource = resourceSchema('Issuer', IssuerSpec);
export type IssuerResource = z.infer<typeof IssuerResource>;

export type Resource = DomainResource | CertificateResource | IssuerResource;

/** The schema of each kind; the CRD generator and the loader both read this table. */
export const RESOURCE_SCHEMAS = {
  Domain: DomainResource,
  Certificate: CertificateResource,
  Issuer: IssuerResource,
} as const;

/** `Domain/web`: the key a resource is known by in status, errors and provenance. */
export function resourceKey(kind: Kind, name: string): string {
  return `${kind}/${name}`;
}
