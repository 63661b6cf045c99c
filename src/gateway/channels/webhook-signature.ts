/**
 * The signature check of the webhook channel's endpoints (`/v1/channels/{name}/inbound|status`),
 * run before the body is trusted, with errors that say how to sign.
 */
import type { Context } from 'hono'
import {
  TIMESTAMP_TOLERANCE_SECONDS,
  verifyRequest,
  type SignatureCheck,
} from '../../connectors/webhook/signature.js'
import { apiError, type ApiError } from '../errors.js'
import type { Services } from '../services.js'
import { channelOfType } from './channel-of-type.js'

/**
 * Verifies a webhook channel's request with its secret: the Standard Webhooks headers (timestamp
 * within 5 minutes, else 401 `signature_expired`), or the bare `X-Omnigate-Signature` unless the
 * channel sets `require_timestamp`.
 */
export const webhookSignature =
  (svc: Services) =>
  (x: { c: Context; raw: Buffer; params: Record<string, string> }): void => {
    const name = x.params.name ?? ''
    const ch = channelOfType(svc, name, 'webhook')
    const requireTimestamp = ch.settings.require_timestamp
    const check = verifyRequest(ch.settings.secret, x.raw, (h) => x.c.req.header(h), {
      requireTimestamp,
      nowMs: svc.now().getTime(),
    })
    if (!check.ok) throw webhookSignatureError(check, name, requireTimestamp)
  }

const STANDARD_FORM =
  'webhook-id, webhook-timestamp and webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">'

function webhookSignatureError(
  check: SignatureCheck & { ok: false },
  name: string,
  requireTimestamp: boolean,
): ApiError {
  switch (check.problem) {
    case 'expired':
      return apiError(
        'signature_expired',
        `webhook-timestamp is ${Math.abs(check.skewSeconds)} s ${check.skewSeconds > 0 ? 'behind' : 'ahead of'} the gateway's clock (at most ${TIMESTAMP_TOLERANCE_SECONDS} s): sign each request as you send it, and keep the sender's clock in sync (NTP)`,
      )
    case 'timestamp_required':
      return apiError(
        'signature_invalid',
        `channel ${name} requires the timestamped signature (require_timestamp: true): send ${STANDARD_FORM}; X-Omnigate-Signature alone is refused`,
      )
    case 'malformed':
      return apiError(
        'signature_invalid',
        `webhook-signature needs webhook-id and webhook-timestamp (unix seconds) beside it: send ${STANDARD_FORM}`,
      )
    case 'unsigned':
    case 'mismatch': {
      const bare = requireTimestamp
        ? ''
        : ', or X-Omnigate-Signature: sha256=<hex HMAC-SHA256 of the raw body>'
      const what =
        check.problem === 'unsigned'
          ? 'the request carries no signature'
          : `the signature does not match channel ${name}'s secret`
      return apiError('signature_invalid', `${what}: send ${STANDARD_FORM}${bare}`)
    }
  }
}
