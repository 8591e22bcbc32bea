/**
 * @module The export as text: one multi-document YAML stream whose header
 * lists every note and where each object's own notes are comments above
 * it, or one file per object (`<kind>-<name>.yaml`, notes as comments) plus
 * NOTES.txt. Comments are never the only place a note goes: the CLI also
 * prints them on stderr.
 */
import { Document } from 'yaml';
import { allNotes, type ExportResult } from './build.ts';
import type { ExportObject } from './objects.ts';

function comment(lines: string[]): string {
  // yaml prefixes each line of commentBefore with '#'; a newline inside a note would end the comment.
  return lines.map((l) => ` ${l.replace(/[\r\n]+/g, ' ')}`).join('\n');
}

function renderObject(o: ExportObject, header: string[] = []): string {
  const doc = new Document(o.object);
  const lines = [...header, ...o.notes.map((n) => `NOTE: ${n}`)];
  if (lines.length > 0) doc.commentBefore = comment(lines);
  return doc.toString({ lineWidth: 0 });
}

const HEADER = 'Exported by haproxy-operator export kubernetes. Kubernetes cannot express everything; see the notes.';

/** The whole export as one YAML stream. */
export function renderStream(result: ExportResult): string {
  const notes = allNotes(result);
  const head = [HEADER, ...(notes.length > 0 ? ['', `${notes.length} note(s):`, ...notes.map((n) => `- ${n}`)] : [])];
  return result.objects.map((o, i) => renderObject(o, i === 0 ? head : [])).join('---\n');
}

/** File name of an object in a directory export: deployment-web.yaml. */
export function fileNameOf(o: ExportObject): string {
  return `${o.object.kind.toLowerCase()}-${o.object.metadata.name}.yaml`;
}

/** One file per object (name -> text), plus NOTES.txt when there are notes. */
export function renderFiles(result: ExportResult): Map<string, string> {
  const files = new Map<string, string>();
  for (const o of result.objects) files.set(fileNameOf(o), renderObject(o));
  const notes = allNotes(result);
  if (notes.length > 0) files.set('NOTES.txt', `${HEADER}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
  return files;
}
