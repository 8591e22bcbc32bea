// Removes what an earlier test or bench run could not clean up because it was
// killed (SIGKILL, a CI timeout): its HAProxy processes, its Podman
// containers and its temp directories. Only what is older than any run can
// be (STALE_MS), so a run going on beside this one keeps everything.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const STALE_MS = 60 * 60 * 1000;
const TEST_LABEL = 'haproxy-operator-test';

/** When, in ms since boot, the process of this /proc/PID/stat started (field 22, in clock ticks of 100 Hz). */
function startedAtMs(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[19]) / 100) * 1000;
}

function staleHaproxies(prefix, staleMs) {
  const uptimeMs = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (!cmd[0]?.endsWith('haproxy') || !cmd.some((a) => a.startsWith(prefix))) continue;
      if (uptimeMs - startedAtMs(readFileSync(`/proc/${d}/stat`, 'utf8')) > staleMs) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function staleContainers(label, staleMs) {
  try {
    const rows = execFileSync('podman', ['ps', '-a', '--filter', `label=${label}`, '--format', '{{.ID}} {{.Created.Unix}}'], { encoding: 'utf8', timeout: 30_000 });
    return rows.split('\n').filter(Boolean).map((r) => r.split(' ')).filter(([, created]) => Date.now() - Number(created) * 1000 > staleMs).map(([id]) => id);
  } catch {
    return []; // no Podman here: nothing of ours to sweep
  }
}

function staleDirs(prefix, staleMs) {
  return readdirSync(dirname(prefix))
    .map((n) => join(dirname(prefix), n))
    .filter((p) => p.startsWith(prefix))
    .filter((p) => {
      try {
        return Date.now() - statSync(p).mtimeMs > staleMs;
      } catch {
        return false;
      }
    });
}

/**
 * `prefix` (temp paths), `label` (key or key=value) and `staleMs` are for
 * the test of this sweep, which must not touch a run going on beside it.
 */
export function sweepStale({ prefix = join(tmpdir(), 'hop-'), label = TEST_LABEL, staleMs = STALE_MS, quiet = false } = {}) {
  const pids = staleHaproxies(prefix, staleMs);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const ids = staleContainers(label, staleMs);
  if (ids.length > 0) {
    try {
      execFileSync('podman', ['rm', '-f', '-t', '0', ...ids], { stdio: 'ignore', timeout: 60_000 });
    } catch {
      // one may have gone meanwhile; the rest were removed
    }
  }
  const dirs = staleDirs(prefix, staleMs);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  if (!quiet && pids.length + ids.length + dirs.length > 0) {
    console.log(`swept what killed runs left: ${pids.length} HAProxy process(es), ${ids.length} container(s), ${dirs.length} temp dir(s)`);
  }
  return { pids, ids, dirs };
}
