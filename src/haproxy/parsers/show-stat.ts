/** @module Parses `show stat` CSV, by the header names rather than positions. */
import type { StatRow } from '../../model/haproxy.ts';

export function parseShowStat(reply: string): StatRow[] {
  const lines = reply.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift();
  if (!header?.startsWith('# ')) return [];
  const cols = header.slice(2).split(',');
  const rows: StatRow[] = [];
  for (const line of lines) {
    const f = line.split(',');
    const get = (name: string) => f[cols.indexOf(name)] ?? '';
    const num = (name: string) => Number(get(name) || 0);
    const svname = get('svname');
    const typeCode = get('type');
    const type = typeCode === '0' ? 'frontend' : typeCode === '1' ? 'backend' : typeCode === '2' ? 'server' : 'listener';
    const row: StatRow = {
      proxy: get('pxname'),
      name: svname,
      type,
      status: get('status'),
      currentSessions: num('scur'),
      maxSessions: num('smax'),
      totalSessions: num('stot'),
      bytesIn: num('bin'),
      bytesOut: num('bout'),
    };
    if (get('addr')) row.address = get('addr');
    if (get('check_status')) row.checkStatus = get('check_status');
    if (type === 'server' || type === 'backend') row.weight = num('weight');
    rows.push(row);
  }
  return rows;
}
