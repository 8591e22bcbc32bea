/**
 * @module An HTTP client for access-rule tests: sends from a chosen loopback
 * source address (127.0.0.x are all loopback; "::1" connects over IPv6) with
 * optional basic-auth credentials, and reports status and headers.
 */
import { request } from 'node:http';
import { isIPv6 } from 'node:net';

export interface AccessRequest {
  port: number;
  host: string;
  /** Source address: 127.0.0.1 (default), 127.0.0.2, ..., or ::1. */
  from?: string;
  /** Basic-auth user and password. */
  auth?: [user: string, password: string];
}

export interface AccessReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export async function accessGet(req: AccessRequest): Promise<AccessReply> {
  const from = req.from ?? '127.0.0.1';
  const headers: Record<string, string> = { host: req.host, connection: 'close' };
  if (req.auth) headers.authorization = `Basic ${Buffer.from(`${req.auth[0]}:${req.auth[1]}`).toString('base64')}`;
  return await new Promise((resolve, reject) => {
    const r = request(
      { host: isIPv6(from) ? '::1' : '127.0.0.1', localAddress: from, port: req.port, path: '/', headers, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    r.on('timeout', () => r.destroy(new Error(`GET ${req.host} from ${from} timed out`)));
    r.on('error', reject);
    r.end();
  });
}

/** The status only, for compact assertions over many requests. */
export async function accessStatus(req: AccessRequest): Promise<number> {
  return (await accessGet(req)).status;
}
