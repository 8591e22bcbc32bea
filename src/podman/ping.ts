/** @module Whether a Podman API socket answers (`GET /_ping`). */
import http from 'node:http';

/** GET /_ping on the socket; resolves true when the API answers 200. */
export function pingPodman(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}
