/**
 * @module Where haproxy_save_state / haproxy_restore_state files live:
 * <state>/saved/<plain name>, a directory of their own, so no tool can name
 * a file the operator owns (servers.json, haproxy.cfg, the maps, audit.log,
 * the lock, certificates). Those names are refused outright too, so a
 * request for one says why instead of quietly writing a copy beside it.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ValidationError } from '../model/errors.ts';
import { isOwnedFileName, OWNED_MESSAGE } from '../model/owned-files.ts';

/** Subdirectory of the state directory that holds saved server states. */
export const SAVED_DIR = 'saved';
export const DEFAULT_SAVED_STATE = 'server-state.txt';

/** The saved-state file for `file` (default server-state.txt); ValidationError for anything but a plain, unowned name. */
export function savedStatePath(stateDir: string, file?: string): string {
  const name = file ?? DEFAULT_SAVED_STATE;
  if (basename(name) !== name || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(name)) {
    throw new ValidationError('file', name, `expected a plain file name (letters, digits, _ . -) inside ${join(stateDir, SAVED_DIR)}`);
  }
  if (isOwnedFileName(name)) throw new ValidationError('file', name, OWNED_MESSAGE);
  return join(stateDir, SAVED_DIR, name);
}

/** Creates <state>/saved (0700) and checks it is a real directory, not a link planted to point elsewhere. */
export async function ensureSavedDir(stateDir: string): Promise<string> {
  const dir = join(stateDir, SAVED_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new ValidationError('file', dir, 'the saved-states directory is not a plain directory (a symbolic link?); remove it');
  return dir;
}

/** Refuses a saved-state path that is a link (it could point at an owned file). */
export async function checkNotLink(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (st && !st.isFile()) throw new ValidationError('file', basename(path), 'is not a plain file (a symbolic link?); refusing it');
}
