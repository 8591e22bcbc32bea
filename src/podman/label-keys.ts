/**
 * @module The container label keys the operator reads: the one place their
 * spelling lives (decoder, did-you-mean hints, docs, tests).
 */

/** Every operator label starts with this; other keys are ignored. */
export const LABEL_PREFIX = 'haproxy.';

export const LABEL_DOMAIN = 'haproxy.domain';
export const LABEL_PORT = 'haproxy.port';
export const LABEL_WEIGHT = 'haproxy.weight';
export const LABEL_NETWORK = 'haproxy.network';
export const LABEL_ADDRESS = 'haproxy.address';
export const LABEL_TLS = 'haproxy.tls';
export const LABEL_CHECK = 'haproxy.check';
export const LABEL_ENABLE = 'haproxy.enable';

/** The known keys, in the order errors are reported. */
export const KNOWN_LABELS = [
  LABEL_DOMAIN,
  LABEL_PORT,
  LABEL_WEIGHT,
  LABEL_NETWORK,
  LABEL_ADDRESS,
  LABEL_TLS,
  LABEL_CHECK,
  LABEL_ENABLE,
] as const;

/** Container port used when haproxy.port is absent. */
export const DEFAULT_CONTAINER_PORT = 80;
