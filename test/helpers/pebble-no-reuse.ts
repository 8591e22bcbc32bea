/**
 * @module Pebble 2.4 reuses a valid authorization 1% of the time even with
 * PEBBLE_AUTHZREUSE=0: its check is `rand.Intn(100) > percent`, false when
 * Intn returns 0 (wfe.go, still so upstream). A reused authorization skips
 * DNS-01, so a test that broke Cloudflare on purpose saw the renewal succeed
 * with no Cloudflare request (the acme-dns fault test failed CI that way).
 * In the test process every order's valid authorizations are deactivated
 * once the order is over (RFC 8555 7.5.2), so none is left to reuse and each
 * order goes through DNS-01. The operator's own code is unchanged: reusing an
 * authorization is right against a real CA.
 */
import acme from 'acme-client';

type Authz = Awaited<ReturnType<acme.Client['getAuthorizations']>>[number];
const seen = new WeakMap<acme.Client, Authz[]>();
/** Off only for the test that shows the hazard it guards against. */
export const authzReuseGuard = { on: true };
const proto = acme.Client.prototype as acme.Client & { __noReuse?: true };

if (!proto.__noReuse) {
  proto.__noReuse = true;
  const getAuthorizations = proto.getAuthorizations;
  proto.getAuthorizations = async function (this: acme.Client, order) {
    const list = await getAuthorizations.call(this, order);
    seen.set(this, [...(seen.get(this) ?? []), ...list]);
    return list;
  };
  const auto = proto.auto;
  proto.auto = async function (this: acme.Client, opts) {
    try {
      return await auto.call(this, opts);
    } finally {
      const list = seen.get(this) ?? [];
      seen.delete(this);
      if (!authzReuseGuard.on) list.length = 0;
      for (const authz of list) {
        // Only what validated is reusable; a pending one was already deactivated by acme-client on failure.
        const now = await getAuthorizations.call(this, { authorizations: [authz.url] } as acme.Order).catch(() => []);
        if (now[0]?.status === 'valid') await this.deactivateAuthorization(authz).catch(() => undefined);
      }
    }
  };
}
