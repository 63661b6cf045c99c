/**
 * Channel-facing routes: the channel list, the webhook channel's inbound and status endpoints
 * (signed with the channel's secret, checked by `webhookSignature`), and platform webhooks
 * (`/hooks/...`), which each connector verifies itself.
 */
import type { z } from 'zod'
import { apiError, notFound } from '../errors.js'
import type { JsonResult, RouteInput } from '../http/route.js'
import type { webhookInbound, webhookStatus } from '../http/schemas.js'
import type { Services } from '../services.js'
import { channelLock } from './registry.js'
import { receiveWebhookInbound, receiveWebhookStatus } from './webhook-channel.js'

/**
 * `GET /v1/channels`: each channel with its state, rules and `owner` (DESIGN §10): for a stateful
 * channel the id of the daemon running its connector (as the lock store says, so every daemon
 * answers alike; null while none does), null for a stateless one, which every daemon runs.
 */
export const listChannels = (svc: Services) => async (): Promise<JsonResult> => {
  const stateful = svc.channels.stateful()
  const owners = await svc.cluster.owners(stateful.map(channelLock))
  const owner = (name: string): string | null =>
    stateful.includes(name) ? (owners.get(channelLock(name)) ?? null) : null
  return {
    status: 200,
    body: { items: svc.channels.list().map((c) => ({ ...c, owner: owner(c.name) })) },
  }
}

export const webhookInboundRoute =
  (svc: Services) =>
  async (i: RouteInput<z.infer<typeof webhookInbound>, unknown>): Promise<JsonResult> => ({
    status: 200,
    body: await receiveWebhookInbound(svc, i.params.name ?? '', i.body),
  })

export const webhookStatusRoute =
  (svc: Services) =>
  async (i: RouteInput<z.infer<typeof webhookStatus>, unknown>): Promise<JsonResult> => ({
    status: 200,
    body: await receiveWebhookStatus(svc, i.params.name ?? '', i.body),
  })

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
