/**
 * Channel-facing routes: the channel list, attachment links, the webhook channel's inbound and
 * status endpoints (signed with the channel's secret), and platform webhooks (`/hooks/...`), which
 * each connector verifies itself.
 */
import type { Context } from 'hono'
import type { z } from 'zod'
import {
  TIMESTAMP_TOLERANCE_SECONDS,
  verifyRequest,
  type SignatureCheck,
} from '../../../connectors/webhook/signature.js'
import { apiError, notFound, ruleError, type ApiError } from '../../errors.js'
import { InboundRefused, receiveInbound, receiveStatus } from '../../inbound.js'
import { AttachmentFetchError, fetchAttachment } from '../../net/fetch-attachment.js'
import type { Services } from '../../services.js'
import type { JsonResult, RouteInput } from '../route.js'
import type { attachmentQuery, webhookInbound, webhookStatus } from '../schemas.js'
import type { ChannelType } from '../../../connectors/types.js'
import type { ChannelConfig } from '../../config/types.js'

export const listChannels = (svc: Services) => (): JsonResult => ({
  status: 200,
  body: { items: svc.channels.list() },
})

export const getAttachment =
  (svc: Services) =>
  async (i: RouteInput<unknown, z.infer<typeof attachmentQuery>>): Promise<Response> => {
    const id = i.params.id ?? ''
    const a = svc.store.attachments.get(id)
    if (!a) throw notFound('attachment', id)
    const data = await svc.store.blobs.read(a.sha256)
    return new Response(new Uint8Array(data), {
      status: 200,
      headers: {
        'content-type': a.content_type,
        'content-length': String(a.size),
        'content-disposition': `attachment; filename="${a.filename.replace(/["\\\r\n]/g, '_')}"`,
        'cache-control': 'private, max-age=3600',
        'x-content-type-options': 'nosniff',
      },
    })
  }

/** The signed-link check of `GET /v1/attachments/{id}`: a bearer key or a valid `exp` + `sig`. */
export const attachmentAccess =
  (svc: Services, authenticate: (c: Context) => void) =>
  (x: { c: Context; params: Record<string, string> }): void => {
    const exp = x.c.req.query('exp')
    const sig = x.c.req.query('sig')
    if (exp !== undefined || sig !== undefined) {
      if (!svc.links.verify(x.params.id ?? '', exp, sig, Date.now())) {
        throw apiError('signature_invalid', 'the attachment link is invalid or has expired')
      }
      return
    }
    authenticate(x.c)
  }

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
    const requireTimestamp = ch.settings.require_timestamp === true
    const check = verifyRequest(String(ch.settings.secret ?? ''), x.raw, (h) => x.c.req.header(h), {
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

export const webhookInboundRoute =
  (svc: Services) =>
  async (i: RouteInput<z.infer<typeof webhookInbound>, unknown>): Promise<JsonResult> => {
    const name = i.params.name ?? ''
    const b = i.body
    const attachments: { filename: string; contentType: string; data: Buffer }[] = []
    for (const [n, a] of (b.attachments ?? []).entries()) {
      let data: Buffer
      if (a.data !== undefined) data = Buffer.from(a.data, 'base64')
      else {
        try {
          const got = await fetchAttachment(a.url ?? '', {
            allowPrivate: svc.config().security.allow_private_urls,
            maxBytes:
              svc.config().channels[name]?.info.limits.attachmentBytesMax ?? 25 * 1024 * 1024,
            timeoutMs: 15_000,
          })
          data = got.data
        } catch (e) {
          if (e instanceof AttachmentFetchError) {
            throw apiError(
              e.code === 'url_forbidden' || e.code === 'url_invalid'
                ? 'url_forbidden'
                : 'attachment_unavailable',
              `attachments[${n}].url: ${e.message}`,
              { field: `attachments[${n}].url` },
            )
          }
          throw e
        }
      }
      attachments.push({ filename: a.filename, contentType: a.content_type, data })
    }
    try {
      const out = await receiveInbound(svc, name, {
        platformMessageId: b.id,
        from: {
          address: b.from.address,
          ...(b.from.first_name ? { firstName: b.from.first_name } : {}),
          ...(b.from.last_name ? { lastName: b.from.last_name } : {}),
          ...(b.from.email ? { email: b.from.email } : {}),
          ...(b.from.phone ? { phone: b.from.phone } : {}),
        },
        text: b.text ?? null,
        attachments,
      })
      return {
        status: 200,
        body: {
          message_id: out.messageId,
          contact_id: out.contactId,
          thread_id: out.threadId,
          duplicate: !out.created,
        },
      }
    } catch (e) {
      if (e instanceof InboundRefused)
        throw ruleError(e.code, e.message, `channels.${name}`, { field: 'from.address' })
      throw e
    }
  }

export const webhookStatusRoute =
  (svc: Services) =>
  async (i: RouteInput<z.infer<typeof webhookStatus>, unknown>): Promise<JsonResult> => {
    const name = i.params.name ?? ''
    const b = i.body
    const m = b.message_id
      ? svc.store.messages.get(b.message_id)
      : svc.store.messages.findByPlatformId(name, b.platform_message_id ?? '')
    if (!m || m.channel !== name || m.direction !== 'out')
      throw notFound('message', b.message_id ?? b.platform_message_id ?? '')
    const moved = await receiveStatus(svc, name, {
      messageId: m.id,
      status: b.status,
      ...(b.error ? { error: b.error } : {}),
    })
    const now = svc.store.messages.get(m.id)
    return {
      status: 200,
      body: { message_id: m.id, status: now?.status ?? m.status, changed: moved },
    }
  }

/** `GET|POST /hooks/{type}/{name}`: handed to the channel's connector, which verifies the platform's signature. */
export const platformHook =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<Response> => {
    const { type, name } = i.params
    const ch = svc.config().channels[name ?? '']
    if (!ch || ch.info.type !== type) throw notFound('channel', `${type ?? ''}/${name ?? ''}`)
    const connector = svc.channels.get(name ?? '')
    if (!connector?.handleHook) {
      throw apiError(
        'not_found',
        `channel ${name ?? ''} does not take platform webhooks (state: ${svc.channels.state(name ?? '').state})`,
      )
    }
    const req = new Request(i.c.req.url, {
      method: i.c.req.method,
      headers: i.c.req.raw.headers,
      ...(i.c.req.method === 'GET' || i.c.req.method === 'HEAD'
        ? {}
        : { body: new Uint8Array(i.raw) }),
    })
    return connector.handleHook(req)
  }

/** The enabled channel `name` of `type`: 404 when there is none, 422 when it is disabled. */
export function channelOfType(svc: Services, name: string, type: ChannelType): ChannelConfig {
  const ch = svc.config().channels[name]
  if (!ch || ch.info.type !== type) throw notFound(`${type} channel`, name)
  if (!ch.info.enabled) {
    throw ruleError(
      'channel_disabled',
      `channel ${name} is disabled: ${ch.info.disabledReason ?? ''}`,
      `channels.${name}`,
    )
  }
  return ch
}
