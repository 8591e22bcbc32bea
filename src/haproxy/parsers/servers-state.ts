/**
 * @module Parses `show servers state` (format version 1). Columns are read
 * from the header line so a later HAProxy adding columns does not shift them.
 */

export interface ServerStateRow {
  backend: string;
  server: string;
  address: string;
  port: number;
  /** 0 stopped, 1 starting, 2 running, 3 stopping. */
  opState: number;
  /** SRV_ADMF_* bit field: 5 = disabled in config, 4 = ready, 12 = drain. */
  adminState: number;
  weight: number;
  checkState: number;
}

/**
 * admin-state bits (SRV_ADMF_*). CMAINT (0x04, "disabled in config") stays
 * set after `state ready` in 2.6, so it does not mean maintenance: forced,
 * inherited and resolution maintenance (0x01, 0x02, 0x20) do.
 */
const MAINT = 0x01 | 0x02 | 0x20;
const DRAIN = 0x08 | 0x10;

/** The administrative state as the operator names it. */
export function adminStateName(adminState: number): 'ready' | 'drain' | 'maint' {
  if (adminState & MAINT) return 'maint';
  if (adminState & DRAIN) return 'drain';
  return 'ready';
}

/** HAProxy's check state bit for "health check enabled" (CHK_ST_ENABLED). */
export function healthEnabled(checkState: number): boolean {
  return (checkState & 0x04) !== 0;
}

export function parseServersState(reply: string): ServerStateRow[] {
  const lines = reply.split('\n');
  const header = lines.find((l) => l.startsWith('# be_id'));
  if (!header) return [];
  const cols = header.slice(2).trim().split(/\s+/);
  const at = (name: string) => cols.indexOf(name);
  const idx = {
    backend: at('be_name'),
    server: at('srv_name'),
    addr: at('srv_addr'),
    port: at('srv_port'),
    op: at('srv_op_state'),
    admin: at('srv_admin_state'),
    weight: at('srv_uweight'),
    check: at('srv_check_state'),
  };
  const rows: ServerStateRow[] = [];
  for (const line of lines) {
    if (line.startsWith('#') || !/^\d/.test(line)) continue;
    const f = line.trim().split(/\s+/);
    // The first line is the format version ("1"), not a server.
    if (f.length < cols.length) continue;
    rows.push({
      backend: f[idx.backend] ?? '',
      server: f[idx.server] ?? '',
      address: f[idx.addr] ?? '',
      port: Number(f[idx.port]),
      opState: Number(f[idx.op]),
      adminState: Number(f[idx.admin]),
      weight: Number(f[idx.weight]),
      checkState: Number(f[idx.check]),
    });
  }
  return rows;
}
