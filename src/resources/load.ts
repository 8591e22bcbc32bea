/**
 * @module Reads manifests: YAML text or a directory of *.yaml / *.yml files
 * (multi-document allowed) into validated resources. A bad document is
 * reported with file, document index, field path and value, and never stops
 * the valid ones (nor does a file that cannot be parsed at all: an alias
 * bomb, broken YAML, one too large) (traefik's "bad labels isolate, never block"). Values under
 * secret-looking fields are redacted from every problem.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Composer, parseAllDocuments, Parser, type Document } from 'yaml';
import type { z } from 'zod';
import { showValue } from '../model/errors.ts';
import { GROUP_VERSION, KINDS, RESOURCE_SCHEMAS, ResourceName, resourceKey, type DomainResourceSpec, type Kind, type Resource } from '../model/resources.ts';
import { valueAt } from '../model/zod-errors.ts';

/** One thing wrong with one manifest document. */
export interface ManifestProblem {
  file: string;
  /** 0-based index of the document in its file. */
  index: number;
  /** Kind and name when they could be read, for example `Domain/web`. */
  resource?: string;
  /** Dotted path inside the document, for example `spec.servers.0.port`. */
  field: string;
  value: unknown;
  message: string;
}

/** A resource that passed validation, with where it came from. */
export interface LoadedResource {
  file: string;
  index: number;
  resource: Resource;
}

export interface LoadResult {
  resources: LoadedResource[];
  problems: ManifestProblem[];
}

export const REDACTED = '(redacted)';
/** Largest manifest file (or `apply -f` input) read; a Domain with thousands of hosts fits well below it. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_ALIAS_COUNT = 100;
const SECRET_SEGMENT = /token|hmac|secret|password|passwd|private|credential|^key$|apikey/i;

// Under these fields any misplaced value may be a pasted credential; only
// the reference leaves are known to be safe to echo.
const SECRET_PARENTS = ['solver', 'externalAccountBinding'];
const SAFE_LEAVES = ['keyID', 'file', 'env'];

function isSecretPath(path: readonly string[]): boolean {
  if (path.some((segment) => SECRET_SEGMENT.test(segment))) return true;
  return path.some((s) => SECRET_PARENTS.includes(s)) && !SAFE_LEAVES.includes(path[path.length - 1] ?? '');
}

/** Turns zod issues into problems; unknown keys become one problem each, with their value redacted. */
function issuesToProblems(error: z.ZodError, doc: unknown, file: string, index: number, resource?: string): ManifestProblem[] {
  const out: ManifestProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const secret = isSecretPath([...path, key]);
        out.push({
          file,
          index,
          resource,
          field: [...path, key].join('.'),
          value: REDACTED,
          message: secret
            ? 'unknown field; secrets are never given inline: reference a file or an environment variable (for example apiTokenRef.file)'
            : 'unknown field',
        });
      }
      continue;
    }
    const value = valueAt(doc, issue.path as PropertyKey[]);
    out.push({
      file,
      index,
      resource,
      field: path.join('.') || '(document)',
      value: isSecretPath(path) && value !== undefined && typeof value !== 'object' ? REDACTED : value,
      message: issue.message,
    });
  }
  return out;
}

/** What a Domain spec's JSON Schema cannot say (rules across fields or items), refused as the label form is. */
function domainProblem(spec: DomainResourceSpec): { field: string; value: unknown; message: string } | undefined {
  if (spec.rules?.stripPrefix && spec.path === undefined) {
    return { field: 'spec.rules.stripPrefix', value: true, message: 'has no effect without spec.path (it removes the path prefix of a path route)' };
  }
  const seen = new Map<string, number>();
  for (const [i, s] of spec.servers.entries()) {
    const key = `${s.family ?? 'http'} ${s.address} ${s.port}`;
    const first = seen.get(key);
    if (first !== undefined) return { field: `spec.servers.${i}`, value: `${s.address}:${s.port}`, message: `the same server as spec.servers.${first} (one server, two slots): list it once` };
    seen.set(key, i);
  }
  return undefined;
}

/** Validates one parsed document; returns the resource or its problems. */
export function validateDocument(doc: unknown, file: string, index: number): { resource?: Resource; problems: ManifestProblem[] } {
  const problem = (field: string, value: unknown, message: string, resource?: string): { problems: ManifestProblem[] } => ({
    problems: [{ file, index, resource, field, value, message }],
  });
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return problem('(document)', doc, 'not a mapping (expected apiVersion, kind, metadata, spec)');
  const d = doc as Record<string, unknown>;
  if (d.apiVersion !== GROUP_VERSION) return problem('apiVersion', d.apiVersion, `must be ${GROUP_VERSION}`);
  if (!KINDS.includes(d.kind as Kind)) return problem('kind', d.kind, `not a kind (${KINDS.join(', ')})`);
  const kind = d.kind as Kind;
  const rawName = (d.metadata as Record<string, unknown> | undefined)?.name;
  // An invalid name is shown quoted and bounded: it may be 100 KB or hold a line break.
  const resource = typeof rawName === 'string' ? resourceKey(kind, ResourceName.safeParse(rawName).success ? rawName : showValue(rawName)) : undefined;
  const result = RESOURCE_SCHEMAS[kind].safeParse(doc);
  if (!result.success) return { problems: issuesToProblems(result.error, doc, file, index, resource) };
  const crossField = result.data.kind === 'Domain' ? domainProblem(result.data.spec) : undefined;
  if (crossField) return problem(crossField.field, crossField.value, crossField.message, resource);
  return { resource: result.data as Resource, problems: [] };
}

/** Validates one parsed YAML document into `out`; empty documents are skipped. */
function takeDocument(doc: Document.Parsed, index: number, file: string, out: LoadResult): void {
  if (doc.errors.length > 0) {
    out.problems.push({ file, index, field: '(yaml)', value: undefined, message: doc.errors.map((e) => e.message.split('\n')[0]).join('; ') });
    return;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // yaml throws on an alias bomb ("billion laughs"): a problem of this document, never of the others.
    out.problems.push({ file, index, field: '(yaml)', value: undefined, message: `rejected: ${(err as Error).message} (more than ${MAX_ALIAS_COUNT} alias expansions)` });
    return;
  }
  if (value === null || value === undefined) return;
  const checked = validateDocument(value, file, index);
  if (checked.resource) out.resources.push({ file, index, resource: checked.resource });
  out.problems.push(...checked.problems);
}

function tooLarge(text: string, file: string): LoadResult | undefined {
  if (Buffer.byteLength(text) <= MAX_MANIFEST_BYTES) return undefined;
  return { resources: [], problems: [{ file, index: 0, field: '(file)', value: undefined, message: `larger than ${MAX_MANIFEST_BYTES} bytes; split it into several files` }] };
}

/**
 * Parses every YAML document in `text` (named `file` in problems). Empty
 * documents are skipped; a YAML syntax error makes that document a problem.
 * Pure apart from the parser. For large inputs use parseManifestsAsync.
 */
export function parseManifests(text: string, file: string): LoadResult {
  const out: LoadResult = tooLarge(text, file) ?? { resources: [], problems: [] };
  if (out.problems.length > 0) return out;
  try {
    const docs = parseAllDocuments(text, { prettyErrors: false });
    // parseAllDocuments returns an EmptyStream for text with no documents.
    if (Array.isArray(docs)) docs.forEach((doc, index) => takeDocument(doc, index, file, out));
  } catch (err) {
    out.problems.push({ file, index: 0, field: '(yaml)', value: undefined, message: `cannot parse: ${(err as Error).message}` });
  }
  return out;
}

/** Longest stretch of parsing between two turns of the event loop, in ms. */
const TURN_MS = 10;

/**
 * parseManifests for inputs of any size: documents are composed one at a
 * time and the event loop gets a turn every few of them, so a manifest of
 * thousands of Domains never stalls the listener (/healthz, /mcp). Also
 * returns each document's text, for edits in place.
 */
export async function parseManifestsAsync(text: string, file: string, opts: { texts?: boolean } = {}): Promise<LoadResult & { texts: string[] }> {
  const out: LoadResult & { texts: string[] } = { ...(tooLarge(text, file) ?? { resources: [], problems: [] }), texts: [] };
  if (out.problems.length > 0) return out;
  try {
    let index = 0;
    let turn = performance.now();
    for (const doc of new Composer({ prettyErrors: false }).compose(new Parser().parse(text))) {
      takeDocument(doc, index, file, out);
      if (opts.texts) {
        const docText = doc.errors.length > 0 ? '' : doc.toString();
        out.texts.push(docText.startsWith('---\n') ? docText.slice(4) : docText);
      }
      index += 1;
      if (performance.now() - turn > TURN_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        turn = performance.now();
      }
    }
  } catch (err) {
    out.problems.push({ file, index: 0, field: '(yaml)', value: undefined, message: `cannot parse: ${(err as Error).message}` });
  }
  return out;
}

/** Marks the later of two resources with the same kind/name as a problem; keeps the first. */
export function rejectDuplicates(loaded: LoadResult): LoadResult {
  const seen = new Map<string, LoadedResource>();
  const resources: LoadedResource[] = [];
  const problems = [...loaded.problems];
  for (const item of loaded.resources) {
    const key = resourceKey(item.resource.kind, item.resource.metadata.name);
    const first = seen.get(key);
    if (first) {
      problems.push({
        file: item.file,
        index: item.index,
        resource: key,
        field: 'metadata.name',
        value: item.resource.metadata.name,
        message: `duplicate: ${key} is already defined in ${first.file} (document ${first.index})`,
      });
      continue;
    }
    seen.set(key, item);
    resources.push(item);
  }
  return { resources, problems };
}

/** True for the file names the directory loader reads. */
export function isManifestFile(name: string): boolean {
  return (name.endsWith('.yaml') || name.endsWith('.yml')) && !name.startsWith('.');
}

/**
 * Loads every manifest file in `dir` (not recursive), in file-name order so
 * "the later duplicate" is well defined. A file that cannot be read is a
 * problem of that file; a missing directory throws (the caller decides).
 */
export async function loadDirectory(dir: string): Promise<LoadResult> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && isManifestFile(e.name))
    .map((e) => e.name)
    .sort();
  const all: LoadResult = { resources: [], problems: [] };
  for (const name of names) {
    const path = join(dir, name);
    let text: string;
    try {
      const size = (await stat(path)).size;
      if (size > MAX_MANIFEST_BYTES) {
        all.problems.push({ file: path, index: 0, field: '(file)', value: undefined, message: `${size} bytes, larger than ${MAX_MANIFEST_BYTES}; not read (split it into several files)` });
        continue;
      }
      text = await readFile(path, 'utf8');
    } catch (err) {
      // Deleted between readdir and read: it simply is not there any more.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      all.problems.push({ file: path, index: 0, field: '(file)', value: undefined, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const one = await parseManifestsAsync(text, path);
    all.resources.push(...one.resources);
    all.problems.push(...one.problems);
  }
  return rejectDuplicates(all);
}

/** `file#index Domain/web: spec.servers.0.port=70000: not a port (1-65535)`. */
export function formatProblem(p: ManifestProblem): string {
  const where = `${p.file}#${p.index}${p.resource ? ` ${p.resource}` : ''}`;
  const value = p.value === REDACTED ? REDACTED : showValue(p.value);
  return `${where}: ${p.field}=${value}: ${p.message}`;
}
