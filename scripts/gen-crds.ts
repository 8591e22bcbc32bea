/**
 * @module `npm run gen:crds`: writes crds/<plural>.yaml from the zod resource
 * schemas. The content comes from generateCrds(), which the test compares
 * with the committed files, so crds/ cannot drift from src/model/resources.ts.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderCrds } from '../src/resources/crd.ts';

/** Repository root (this file lives in scripts/). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every generated file, keyed by its path relative to the repository root. Pure. */
export function generateCrds(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, content] of Object.entries(renderCrds())) out[`crds/${file}`] = content;
  return out;
}

async function main(): Promise<void> {
  const files = generateCrds();
  await mkdir(join(REPO_ROOT, 'crds'), { recursive: true });
  // A kind that was removed must not leave its CRD behind.
  for (const name of await readdir(join(REPO_ROOT, 'crds'))) {
    if (name.endsWith('.yaml') && !(`crds/${name}` in files)) await rm(join(REPO_ROOT, 'crds', name));
  }
  for (const [file, content] of Object.entries(files)) {
    await writeFile(join(REPO_ROOT, file), content);
    console.log(`wrote ${file}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
