// Removes what an earlier test or bench run could not clean up because it was
// killed (SIGKILL, a CI timeout): its HAProxy processes, its Podman
// containers and its temp directories. Only what is older than any run can
// be (STALE_MS), so a run going on beside this one keeps everything.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STALE_MS = 60 * 60 * 1000;
const TEST_LABEL = 'haproxy-operator-test';
const PREFIX = join(tmpdir(), 'hop-');

/** Seconds since boot at which process `pid` started (/proc/PID/stat field 22, in clock ticks of 100 Hz). */
function startedAtMs(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[19]) / 100) * 1000;
}

function staleHaproxies() {
  const uptimeMs = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (!cmd[0]?.endsWith('haproxy') || !cmd.some((a) => a.startsWith(PREFIX))) continue;
      if (uptimeMs - startedAtMs(readFileSync(`/proc/${d}/stat`, 'utf8')) > STALE_MS) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function staleContainers() {
  try {
    const rows = execFileSync('podman', ['ps', '-a', '--filter', `label=${TEST_LABEL}`, '--format', '{{.ID}} {{.Created.Unix}}'], { encoding: 'utf8', timeout: 30_000 });
    return rows.split('\n').filter(Boolean).map((r) => r.split(' ')).filter(([, created]) => Date.now() - Number(created) * 1000 > STALE_MS).map(([id]) => id);
  } catch {
    return []; // no Podman here: nothing of ours to sweep
  }
}

function staleDirs() {
  return readdirSync(tmpdir())
    .filter((n) => n.startsWith('hop-'))
    .map((n) => join(tmpdir(), n))
    .filter((p) => {
      try {
        return Date.now() - statSync(p).mtimeMs > STALE_MS;
      } catch {
        return false;
      }
    });
}

export function sweepStale() {
  const pids = staleHaproxies();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const ids = staleContainers();
  if (ids.length > 0) {
    try {
      execFileSync('podman', ['rm', '-f', '-t', '0', ...ids], { stdio: 'ignore', timeout: 60_000 });
    } catch {
      // one may have gone meanwhile; the rest were removed
    }
  }
  const dirs = staleDirs();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  if (pids.length + ids.length + dirs.length > 0) {
    console.log(`swept what killed runs left: ${pids.length} HAProxy process(es), ${ids.length} container(s), ${dirs.length} temp dir(s)`);
  }
}
