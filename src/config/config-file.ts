/** @module Reads the YAML config file as a mapping of option keys, for the operator's settings and the CLI's connection. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ValidationError } from '../model/errors.ts';

/** The file's top-level mapping ({} for an empty file); a read or YAML error, or a non-mapping, names --config and the path. */
export function readConfigMapping(path: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ValidationError('--config', path, `cannot read YAML config: ${(error as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ValidationError('--config', path, 'expected a mapping of option keys');
  return doc as Record<string, unknown>;
}
