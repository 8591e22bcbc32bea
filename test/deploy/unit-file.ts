/**
 * @module Test helper: a small parser for systemd/Quadlet unit files
 * (sections, repeated keys, comments, backslash continuations) and the
 * Quadlet key list copied from podman-systemd.unit(5).
 */
import { readFileSync } from 'node:fs';

export interface UnitEntry {
  key: string;
  value: string;
  line: number;
}

export type UnitFile = Map<string, UnitEntry[]>;

/** Parses unit text into section -> entries; throws on a line outside a section or without `=`. */
export function parseUnit(text: string, file: string): UnitFile {
  const out: UnitFile = new Map();
  let section: UnitEntry[] | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    const lineNo = i + 1;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      if (out.has(header[1]!)) throw new Error(`${file}:${lineNo}: section [${header[1]}] repeated`);
      section = [];
      out.set(header[1]!, section);
      continue;
    }
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const eq = line.indexOf('=');
    if (!section) throw new Error(`${file}:${lineNo}: "${line}" is outside any section`);
    if (eq <= 0) throw new Error(`${file}:${lineNo}: "${line}" is not Key=Value`);
    section.push({ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), line: lineNo });
  }
  return out;
}

/** All values of `key` in `section`. */
export function values(unit: UnitFile, section: string, key: string): string[] {
  return (unit.get(section) ?? []).filter((e) => e.key === key).map((e) => e.value);
}

/** "Section Key" pairs Quadlet accepts, from the committed copy of the reference list. */
export function quadletKeys(): Set<string> {
  const text = readFileSync(new URL('./fixtures/quadlet-keys.txt', import.meta.url), 'utf8');
  return new Set(text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')));
}

/** Volume=SRC:DST[:OPTS] -> {source, destination, options}. */
export function parseVolume(value: string): { source: string; destination: string; options: string } {
  const [source = '', destination = '', options = ''] = value.split(':');
  return { source, destination, options };
}
