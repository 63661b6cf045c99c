/**
 * A browser's push subscription (`PushSubscription.toJSON()`): where to post (`endpoint`) and the
 * keys the payload is encrypted to. On a webpush channel the identity's address *is* the
 * subscription, stored as canonical JSON so the same subscription registered twice is the same
 * address (DESIGN §6: the same subscription again → 200, same contact).
 */

export interface PushSubscriptionJson {
  endpoint: string
  keys: { p256dh: string; auth: string }
}

export type ParsedSubscription =
  { ok: true; subscription: PushSubscriptionJson } | { ok: false; error: string }

/** Browsers' endpoints are a few hundred characters; anything far longer is not one. */
const ENDPOINT_MAX = 2048
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/

function decoded(value: unknown): Buffer | null {
  return typeof value === 'string' && BASE64URL.test(value) ? Buffer.from(value, 'base64url') : null
}

/**
 * Validates a subscription object (or its JSON text). `allowHttp` admits `http:` endpoints, which
 * only local test services use; real push services are all https.
 */
export function parseSubscription(
  input: unknown,
  opts: { allowHttp?: boolean } = {},
): ParsedSubscription {
  let value = input
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown
    } catch {
      return { ok: false, error: 'subscription is not JSON' }
    }
  }
  if (typeof value !== 'object' || value === null)
    return { ok: false, error: 'subscription must be an object' }
  const { endpoint, keys } = value as {
    endpoint?: unknown
    keys?: { p256dh?: unknown; auth?: unknown }
  }
  if (typeof endpoint !== 'string' || endpoint.length > ENDPOINT_MAX) {
    return { ok: false, error: 'subscription.endpoint must be a URL' }
  }
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return { ok: false, error: 'subscription.endpoint must be a URL' }
  }
  if (url.protocol !== 'https:' && !(opts.allowHttp === true && url.protocol === 'http:')) {
    return { ok: false, error: 'subscription.endpoint must be an https URL' }
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, error: 'subscription.endpoint must not carry credentials' }
  }
  const p256dh = decoded(keys?.p256dh)
  if (p256dh === null || p256dh.length !== 65 || p256dh[0] !== 0x04) {
    return {
      ok: false,
      error: 'subscription.keys.p256dh must be a base64url P-256 public key (65 bytes)',
    }
  }
  const auth = decoded(keys?.auth)
  if (auth === null || auth.length < 16) {
    return {
      ok: false,
      error: 'subscription.keys.auth must be a base64url secret of at least 16 bytes',
    }
  }
  return {
    ok: true,
    subscription: {
      endpoint,
      keys: { p256dh: p256dh.toString('base64url'), auth: auth.toString('base64url') },
    },
  }
}

/** The canonical address of a subscription: `{"endpoint","keys":{"p256dh","auth"}}` in that order, unpadded. */
export function subscriptionAddress(sub: PushSubscriptionJson): string {
  return JSON.stringify({
    endpoint: sub.endpoint,
    keys: { p256dh: sub.keys.p256dh, auth: sub.keys.auth },
  })
}
