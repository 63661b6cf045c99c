/** A gateway with a web chat channel, and a visitor's calls to it (as the widget makes them). */
import { userHash } from '../../../src/connectors/webpush/user-hash.js'
import { KEYS, type TestGateway } from '../../helpers/harness.js'
import { readSse, type SseReader } from '../../helpers/sse.js'

export const SECRET = 'site-secret-0123456789'
export const ORIGIN = 'https://shop.example'

export function webchatYaml(extra = '', fallback = ''): string {
  return `server:
  public_url: http://127.0.0.1:8080
security:
  allow_private_urls: true
channels:
  site:
    type: webchat
    secret: ${SECRET}
    allowed_origins: [${ORIGIN}]
${fallback}${extra}`
}

export interface VisitorClient {
  token: string
  contactId: string
  session: Record<string, unknown>
  get(path: string): ReturnType<TestGateway['call']>
  post(path: string, body: unknown): ReturnType<TestGateway['call']>
  stream(opts?: { lastEventId?: string }): Promise<SseReader>
}

export async function visitor(
  t: TestGateway,
  externalId: string,
  extra: Record<string, unknown> = {},
): Promise<VisitorClient> {
  const res = await t.call('POST', '/v1/channels/site/webchat/session', {
    key: null,
    headers: { origin: ORIGIN },
    body: { external_id: externalId, user_hash: userHash(SECRET, externalId), ...extra },
  })
  if (res.status !== 200) throw new Error(`session: ${res.status} ${res.text}`)
  const token = String(res.body.token)
  const base = '/v1/channels/site/webchat'
  return {
    token,
    contactId: String(res.body.contact_id),
    session: res.body as Record<string, unknown>,
    get: (path) =>
      t.call('GET', `${base}${path}${path.includes('?') ? '&' : '?'}token=${token}`, {
        key: null,
        headers: { origin: ORIGIN },
      }),
    post: (path, body) =>
      t.call('POST', `${base}${path}`, {
        key: null,
        headers: { origin: ORIGIN, authorization: `Bearer ${token}` },
        body,
      }),
    async stream(opts = {}) {
      const headers: Record<string, string> = { origin: ORIGIN }
      if (opts.lastEventId) headers['last-event-id'] = opts.lastEventId
      const res = await t.gw.app.request(`${base}/stream?token=${token}`, { headers })
      if (res.status !== 200 || !res.body) throw new Error(`stream: ${res.status}`)
      return readSse(res.body)
    },
  }
}

/** An agent's send to the visitor's contact on the web chat channel. */
export async function agentSends(t: TestGateway, contactId: string, text: string): Promise<string> {
  const res = await t.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: { contact_id: contactId, channel: 'site', text },
  })
  if (res.status !== 202) throw new Error(`send: ${res.status} ${res.text}`)
  return String(res.body.id)
}

export async function statusOf(t: TestGateway, id: string): Promise<string> {
  return String((await t.call('GET', `/v1/messages/${id}`)).body.status)
}
