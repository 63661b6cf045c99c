/**
 * How webhook traffic is signed, both ways: webhook channels (outbound POSTs, the inbound and
 * status routes) and app webhooks. Two forms, both computed over the exact bytes on the wire,
 * never over re-serialised JSON, both keyed with the secret's UTF-8 bytes:
 *
 * - bare (since 0.1, kept for existing receivers; replayable, as it signs no time):
 *   `X-Omnigate-Signature: sha256=<hex HMAC-SHA256(secret, body)>`;
 * - Standard Webhooks (https://www.standardwebhooks.com), which receivers verify with the
 *   `standardwebhooks` libraries: `webhook-id`, `webhook-timestamp` (unix seconds) and
 *   `webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`. Those
 *   libraries take the key as `whsec_<base64 key>`: `standardWebhooksSecret(secret)` spells it.
 *
 * Outbound requests carry both (`signedHeaders`); inbound ones may use either (`verifyRequest`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** The bare-body signature header. */
const SIGNATURE_HEADER = 'x-omnigate-signature'
/** The Standard Webhooks headers (lower case, as Node hands them over). */
const WEBHOOK_ID_HEADER = 'webhook-id'
const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp'
const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature'

/**
 * How far `webhook-timestamp` may be from our clock, either way: Standard Webhooks' default, the
 * one receivers' libraries apply. A request is signed as it is sent, so only clock skew and
 * transit count against it, while a captured request can be replayed for no longer than this.
 */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60

const BARE_PREFIX = 'sha256='
const HEX_SHA256 = /^[0-9a-f]{64}$/i
const V1_PREFIX = 'v1,'
// Unix seconds, as the spec writes them; 15 digits is far beyond any real clock.
const UNIX_SECONDS = /^\d{1,15}$/

function key(secret: string): Buffer {
  if (secret.length === 0) throw new TypeError('a signing secret must not be empty')
  return Buffer.from(secret, 'utf8')
}

function digest(secret: string, rawBody: string | Buffer): Buffer {
  return createHmac('sha256', key(secret)).update(rawBody).digest()
}

/**
 * Signs a raw body the bare way: returns the header value `sha256=<hex>`. Throws on an empty
 * secret, which would sign with a key anyone knows.
 * @internal exported for tests
 */
export function sign(secret: string, rawBody: string | Buffer): string {
  return BARE_PREFIX + digest(secret, rawBody).toString('hex')
}

/**
 * Checks a bare signature header against the raw body in constant time. False for a missing or
 * malformed header and for an empty secret; hex case does not matter.
 * @internal exported for tests
 */
export function verify(
  secret: string,
  rawBody: string | Buffer,
  header: string | null | undefined,
): boolean {
  if (typeof header !== 'string' || secret.length === 0) return false
  const value = header.trim()
  if (!value.startsWith(BARE_PREFIX)) return false
  const hex = value.slice(BARE_PREFIX.length)
  if (!HEX_SHA256.test(hex)) return false
  // Both buffers are 32 bytes here: timingSafeEqual throws on unequal lengths.
  return timingSafeEqual(Buffer.from(hex, 'hex'), digest(secret, rawBody))
}

/**
 * The Standard Webhooks signature of one request: `v1,<base64 HMAC-SHA256(secret,
 * "<id>.<timestamp>.<body>")>`. `timestamp` is written exactly as in the `webhook-timestamp` header.
 * @internal exported for tests
 */
export function signStandard(
  secret: string,
  id: string,
  timestamp: string,
  rawBody: string | Buffer,
): string {
  const mac = createHmac('sha256', key(secret)).update(`${id}.${timestamp}.`).update(rawBody)
  return V1_PREFIX + mac.digest('base64')
}

/**
 * The secret as Standard Webhooks libraries take it: `whsec_` + base64 of its UTF-8 bytes.
 * @internal exported for tests
 */
export function standardWebhooksSecret(secret: string): string {
  return `whsec_${key(secret).toString('base64')}`
}

/** What every signed request we send carries. */
export interface SignedHeaders {
  'x-omnigate-signature': string
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

/**
 * The signature headers of one outbound attempt, in both forms: the one signing function of app
 * webhooks and webhook-channel sends. `id` stays the same across retries (the event or message
 * id); the timestamp is this attempt's (`nowMs`, default the clock), so a retry is signed afresh.
 */
export function signedHeaders(
  secret: string,
  id: string,
  rawBody: string | Buffer,
  nowMs: number = Date.now(),
): SignedHeaders {
  const timestamp = String(Math.floor(nowMs / 1000))
  return {
    'x-omnigate-signature': sign(secret, rawBody),
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signStandard(secret, id, timestamp, rawBody),
  }
}

/**
 * The outcome of checking an inbound request. Refusals name their cause: `unsigned` (no signature
 * header at all), `malformed` (Standard headers incomplete, or a timestamp that is not unix
 * seconds), `mismatch` (no signature matches), `expired` (it matches, but `skewSeconds` — ours
 * minus theirs — is past the tolerance), `timestamp_required` (a bare signature where the
 * Standard form is required; refused whether it matches or not).
 */
export type SignatureCheck =
  | { ok: true; form: 'standard' | 'bare' }
  | { ok: false; problem: 'unsigned' | 'malformed' | 'mismatch' | 'timestamp_required' }
  | { ok: false; problem: 'expired'; skewSeconds: number }

export interface VerifyRequestOptions {
  /** Refuse the bare form: only a timestamped signature passes. */
  requireTimestamp: boolean
  /** Our clock, in ms. */
  nowMs: number
}

/**
 * Checks an inbound request. A request with `webhook-signature` is judged by the Standard form
 * alone (any of its space-separated `v1,` signatures may match; the timestamp must be within
 * `TIMESTAMP_TOLERANCE_SECONDS`), so a stale timestamped request cannot fall back to its bare
 * header; one without is judged by `X-Omnigate-Signature`, unless `requireTimestamp`. Every
 * comparison is constant time. `header` reads a request header by its lower-case name.
 */
export function verifyRequest(
  secret: string,
  rawBody: string | Buffer,
  header: (name: string) => string | null | undefined,
  opts: VerifyRequestOptions,
): SignatureCheck {
  const signatures = header(WEBHOOK_SIGNATURE_HEADER)
  if (typeof signatures !== 'string') {
    const bare = header(SIGNATURE_HEADER)
    if (typeof bare !== 'string') return { ok: false, problem: 'unsigned' }
    if (opts.requireTimestamp) return { ok: false, problem: 'timestamp_required' }
    return verify(secret, rawBody, bare)
      ? { ok: true, form: 'bare' }
      : { ok: false, problem: 'mismatch' }
  }
  const id = header(WEBHOOK_ID_HEADER)
  const timestamp = header(WEBHOOK_TIMESTAMP_HEADER)?.trim()
  if (!id || timestamp === undefined || !UNIX_SECONDS.test(timestamp)) {
    return { ok: false, problem: 'malformed' }
  }
  if (secret.length === 0) return { ok: false, problem: 'mismatch' }
  const expected = Buffer.from(signStandard(secret, id, timestamp, rawBody))
  let matched = false
  for (const candidate of signatures.split(' ')) {
    const got = Buffer.from(candidate)
    // Lengths are public (every v1 signature has the same); timingSafeEqual needs them equal.
    if (got.length === expected.length && timingSafeEqual(got, expected)) matched = true
  }
  if (!matched) return { ok: false, problem: 'mismatch' }
  // Checked after the signature, so `expired` says a genuine request came late (clock skew, or a
  // replay), never that someone sent an old timestamp with a made-up signature.
  const skewSeconds = Math.floor(opts.nowMs / 1000) - Number(timestamp)
  if (Math.abs(skewSeconds) > TIMESTAMP_TOLERANCE_SECONDS) {
    return { ok: false, problem: 'expired', skewSeconds }
  }
  return { ok: true, form: 'standard' }
}
