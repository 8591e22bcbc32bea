/** @module The log level of a line HAProxy writes to stderr, so its routine output stays out of an info log. */

/** HAProxy's routine chatter: one line per proxy on every reload or stop (~300 on 100 pools), worker bookkeeping. */
const ROUTINE_HAPROXY = [
  /Proxy \S+ (stopped|started)/,
  /Stopping (frontend|backend|proxy) /,
  /Reloading HAProxy/,
  /New worker \(\d+\) forked/,
  /Loading success/,
  /(Former|Current) worker \(\d+\) exited with code 0/,
  /All workers exited/,
  /haproxy version is|path to executable is/,
];

/** What HAProxy says when the operator itself stops it (SIGTERM, 143): an ALERT and a WARNING that report our own request. */
const OWN_STOP = [/(Former|Current) worker \(\d+\) exited with code 143/, /Exiting Master process/];

/**
 * The level of one line HAProxy wrote to its stderr: routine lines (and, while
 * the operator stops it, the lines about that stop) at debug, otherwise by
 * HAProxy's own tag (ALERT/EMERG error, WARNING warn, rest info).
 */
export function haproxyOutputLevel(line: string, stopping = false): 'debug' | 'info' | 'warn' | 'error' {
  if (ROUTINE_HAPROXY.some((re) => re.test(line))) return 'debug';
  if (stopping && OWN_STOP.some((re) => re.test(line))) return 'debug';
  if (/\[(ALERT|EMERG)\]/.test(line)) return 'error';
  if (/\[WARNING\]/.test(line)) return 'warn';
  return 'info';
}
