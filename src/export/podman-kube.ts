/**
 * @module Podman's own Kubernetes generator over its API socket
 * (`GET /libpod/generate/kube?names=ID`, what `podman kube generate` uses):
 * the export's source for workloads, so a container becomes the Pod Podman
 * itself would write.
 */
import http from 'node:http';

const MAX_BYTES = 1024 * 1024;

/** The generator's YAML for one container (by full id); rejects with Podman's message on a non-200. */
export function generateKube(socketPath: string, id: string, timeoutMs = 10_000): Promise<string> {
  if (!/^[0-9a-f]{12,64}$/.test(id)) return Promise.reject(new Error(`container id ${JSON.stringify(id)}: not a Podman container id`));
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: `/v4.0.0/libpod/generate/kube?names=${id}`, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BYTES) req.destroy(new Error(`generator output larger than ${MAX_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) return resolve(text);
        let message = text.trim().slice(0, 300);
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? message;
        } catch {
          // not JSON: keep the text
        }
        reject(new Error(`Podman answered ${res.statusCode}: ${message}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`Podman did not answer within ${timeoutMs} ms`)));
  });
}
