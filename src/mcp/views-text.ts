/** @module One-line text forms of views, for the compact text answers of read tools. */
import type { z } from 'zod';
import type { ServerOut } from './schemas.ts';

/** `pool_1_ssl_1 10.0.0.5:443 ready w1 [container:web] override maint by mcp:127.0.0.1`. */
export function serverLine(s: z.infer<typeof ServerOut>): string {
  const addr = s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
  const state = s.effectiveState === s.state ? s.state : `${s.effectiveState} (source wants ${s.state})`;
  const override = s.override ? ` override${s.override.state ? ` ${s.override.state}` : ''}${s.override.weight !== undefined ? ` w${s.override.weight}` : ''}${s.override.by ? ` by ${s.override.by}` : ''}` : '';
  return `${s.name} ${addr} ${state} w${s.effectiveWeight}${s.check ? ` check ${s.check}` : ''} [${s.source}]${override}`;
}
