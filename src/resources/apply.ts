/**
 * @module `apply -f` and `delete -f` as edits of the resources directory, so
 * the directory stays the only source of truth. Everything is validated
 * before anything is written: on any problem the result lists every problem
 * and no file changes. A resource already defined in a hand-written
 * (possibly multi-document) file is edited in place there; a new one goes to
 * <kind>-<name>.yaml.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments, type Document } from 'yaml';
import { resourceKey, type Kind, type Resource } from '../model/resources.ts';
import { parseManifestsAsync, rejectDuplicates, type LoadResult, type LoadedResource, type ManifestProblem } from './load.ts';
import { removeFileDurable, writeFileAtomic } from '../os/atomic-write.ts';

export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'deleted';

export interface ApplyItem {
  kind: Kind;
  name: string;
  action: ApplyAction;
  /** The file in the resources directory that holds (or held) it. */
  file: string;
  /** For `configured`: the fields whose value changed, e.g. spec.servers (for the audit log and the CLI). */
  changed?: string[];
  /** Dry run: why (some of) its hosts would not be routed, e.g. no free pool. */
  notRouted?: string;
}

/** Top-level spec and metadata fields that differ between two versions of a resource. */
function changedFields(before: { spec: unknown; metadata: unknown }, after: { spec: unknown; metadata: unknown }): string[] {
  const out: string[] = [];
  for (const part of ['metadata', 'spec'] as const) {
    const a = (before[part] ?? {}) as Record<string, unknown>;
    const b = (after[part] ?? {}) as Record<string, unknown>;
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) if (!isDeepStrictEqual(a[key], b[key])) out.push(`${part}.${key}`);
  }
  return out;
}

/** Files to write (path -> content) and to remove; computed before any change. */
export interface FileEdits {
  write: Map<string, string>;
  remove: Set<string>;
}

export interface EditPlan {
  problems: ManifestProblem[];
  items: ApplyItem[];
  edits: FileEdits;
  /** The applied resources (parsed once, for the dry run's routing plan). */
  resources?: Resource[];
}

/** File name an applied manifest gets: `domain-web.yaml`. */
export function manifestFileName(kind: Kind, name: string): string {
  return `${kind.toLowerCase()}-${name}.yaml`;
}

const INPUT = '(input)';

function docText(doc: Document.Parsed): string {
  const text = doc.toString();
  return text.startsWith('---\n') ? text.slice(4) : text;
}

function joinDocs(texts: string[]): string {
  return texts.map((t) => (t.endsWith('\n') ? t : `${t}\n`)).join('---\n');
}

/** The documents of a file as texts, so single documents can be replaced or dropped. */
async function fileDocs(path: string, cache: Map<string, Array<string | undefined>>): Promise<Array<string | undefined>> {
  let docs = cache.get(path);
  if (!docs) {
    const text = await readFile(path, 'utf8');
    const parsed = parseAllDocuments(text);
    docs = Array.isArray(parsed) ? parsed.map(docText) : [];
    cache.set(path, docs);
  }
  return docs;
}

function renderEdited(cache: Map<string, Array<string | undefined>>, edits: FileEdits): void {
  for (const [path, docs] of cache) {
    const kept = docs.filter((d): d is string => d !== undefined);
    if (kept.length === 0) edits.remove.add(path);
    else edits.write.set(path, joinDocs(kept));
  }
}

/** Parses the input once (yielding to the event loop) and checks every document; problems name `(input)` with the document index. */
async function parseInput(text: string): Promise<LoadResult & { docs: string[] }> {
  const parsed = await parseManifestsAsync(text, INPUT, { texts: true });
  const loaded = rejectDuplicates(parsed);
  const docs = parsed.texts;
  if (loaded.problems.length === 0 && loaded.resources.length === 0) {
    loaded.problems.push({ file: INPUT, index: 0, field: '(document)', value: undefined, message: 'no resources in the input' });
  }
  return { ...loaded, docs };
}

/**
 * Works out the file edits that apply `text` to the directory whose current
 * content is `current`. Reads files it must edit; writes nothing.
 */
export async function planApply(text: string, dir: string, current: readonly LoadedResource[]): Promise<EditPlan> {
  const input = await parseInput(text);
  const edits: FileEdits = { write: new Map(), remove: new Set() };
  if (input.problems.length > 0) return { problems: input.problems, items: [], edits };
  const byKey = new Map(current.map((c) => [resourceKey(c.resource.kind, c.resource.metadata.name), c]));
  const cache = new Map<string, Array<string | undefined>>();
  const items: ApplyItem[] = [];
  for (const item of input.resources) {
    const r = item.resource;
    const existing = byKey.get(resourceKey(r.kind, r.metadata.name));
    const newText = input.docs[item.index]!;
    if (existing) {
      const same = isDeepStrictEqual(existing.resource.spec, r.spec) && isDeepStrictEqual(existing.resource.metadata, r.metadata);
      items.push({ kind: r.kind, name: r.metadata.name, action: same ? 'unchanged' : 'configured', file: existing.file, ...(same ? {} : { changed: changedFields(existing.resource, r) }) });
      if (same) continue;
      const docs = await fileDocs(existing.file, cache);
      docs[existing.index] = newText;
    } else {
      const file = join(dir, manifestFileName(r.kind, r.metadata.name));
      items.push({ kind: r.kind, name: r.metadata.name, action: 'created', file });
      // The target may hold an invalid version of this resource: it is replaced whole.
      cache.set(file, [newText]);
    }
  }
  renderEdited(cache, edits);
  return { problems: [], items, edits, resources: input.resources.map((r) => r.resource) };
}

/**
 * Works out the edits that delete every resource named in `text`. Only
 * apiVersion, kind and metadata.name must be valid; a resource that does not
 * exist is a problem (nothing is deleted then).
 */
export async function planDelete(text: string, current: readonly LoadedResource[]): Promise<EditPlan> {
  const input = await parseManifestsAsync(text, INPUT);
  const edits: FileEdits = { write: new Map(), remove: new Set() };
  // A delete needs the identity only: drop problems under spec/status.
  const identity = input.problems.filter((p) => !/^(spec|status)(\.|$)/.test(p.field));
  const targets: Array<{ kind: Kind; name: string; index: number }> = input.resources.map((r) => ({
    kind: r.resource.kind,
    name: r.resource.metadata.name,
    index: r.index,
  }));
  for (const p of input.problems) {
    if (identity.includes(p) || !p.resource) continue;
    const [kind, name] = p.resource.split('/') as [Kind, string];
    if (!targets.some((t) => t.kind === kind && t.name === name)) targets.push({ kind, name, index: p.index });
  }
  const problems = [...identity];
  const byKey = new Map(current.map((c) => [resourceKey(c.resource.kind, c.resource.metadata.name), c]));
  const cache = new Map<string, Array<string | undefined>>();
  const items: ApplyItem[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    const key = resourceKey(t.kind, t.name);
    if (seen.has(key)) continue;
    seen.add(key);
    const existing = byKey.get(key);
    if (!existing) {
      problems.push({ file: INPUT, index: t.index, resource: key, field: 'metadata.name', value: t.name, message: `${key} not found` });
      continue;
    }
    items.push({ kind: t.kind, name: t.name, action: 'deleted', file: existing.file });
    const docs = await fileDocs(existing.file, cache);
    docs[existing.index] = undefined;
  }
  if (problems.length > 0) return { problems, items: [], edits };
  if (items.length === 0) problems.push({ file: INPUT, index: 0, field: '(document)', value: undefined, message: 'no resources in the input' });
  renderEdited(cache, edits);
  return { problems, items: problems.length > 0 ? [] : items, edits };
}

/** Applies file edits, each atomically; writes before removals. */
export async function commitEdits(edits: FileEdits): Promise<void> {
  for (const [path, content] of edits.write) await writeFileAtomic(path, content);
  for (const path of edits.remove) await removeFileDurable(path);
}

/** `domain-web.yaml: Domain/web created`: one line per item, for the CLI. */
export function describeItems(items: readonly ApplyItem[], dryRun: boolean): string[] {
  return items.map((i) => `${i.kind.toLowerCase()}/${i.name} ${i.action}${dryRun ? ' (dry run)' : ''} (${basename(i.file)})${i.notRouted ? `; NOT ROUTED: ${i.notRouted}` : ''}`);
}
