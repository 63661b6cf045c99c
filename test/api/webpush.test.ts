/**
 * Web Push through the daemon: the public key route, subscriptions checked by user_hash (which make
 * the person a contact-first identity), then a send that the fake push service decrypts — what a
 * browser would show — and a gone subscription making the contact unreachable.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { userHash } from '../../src/connectors/webpush/user-hash.js'
import { FakePushService } from '../fakes/push-service.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'

let push: FakePushService
let t: TestGateway

async function setup(allowPrivate: boolean): Promise<void> {
  push = await FakePushService.start()
  t = await startGateway(
    `security:
  allow_private_urls: ${allowPrivate}
dispatcher:
  backoff_base: 50ms
channels:
  web:
    type: webpush
    secret: site-secret
templates:
  shipped:
    title: Your order
    text: "Order {{order}} has shipped"
`,
    { dispatcher: true },
  )
}

beforeEach(async () => {
  await setup(true)
})
afterEach(async () => {
  await t.close()
  await push.close()
})

const register = (body: Record<string, unknown>) =>
  t.call('POST', '/v1/channels/web/subscriptions', { key: null, body })

describe('webpush channel', () => {
  it('serves the VAPID key without auth, with CORS', async () => {
    const r = await t.call('GET', '/v1/channels/web/push-key', { key: null })
    expect(r.status).toBe(200)
    expect(r.body.vapid_public_key).toMatch(/^[A-Za-z0-9_-]{80,}$/)
    expect(r.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('registers a subscription (201, then 200 with the same contact); a wrong hash is 401', async () => {
    const key = (await t.call('GET', '/v1/channels/web/push-key', { key: null })).body
      .vapid_public_key
    const subscription = push.subscribe(key)
    const body = {
      external_id: 'user-42',
      user_hash: userHash('site-secret', 'user-42'),
      subscription,
      first_name: 'Ana',
    }
    const a = await register(body)
    expect(a.status).toBe(201)
    const b = await register(body)
    expect(b).toMatchObject({ status: 200, body: { contact_id: a.body.contact_id } })
    const bad = await register({ ...body, user_hash: userHash('other', 'user-42') })
    expect(bad.status).toBe(401)
    expect(bad.body.error.code).toBe('signature_invalid')
    const forged = await register({ ...body, external_id: 'user-43' })
    expect(forged.status).toBe(401)
  })

  it('a subscribed person gets the push a browser would show; a gone subscription → unreachable', async () => {
    const key = (await t.call('GET', '/v1/channels/web/push-key', { key: null })).body
      .vapid_public_key
    const subscription = push.subscribe(key)
    const reg = await register({
      external_id: 'u1',
      user_hash: userHash('site-secret', 'u1'),
      subscription,
    })
    const cid = reg.body.contact_id as string
    const sent = await t.call('POST', '/v1/messages', {
      body: {
        contact_id: cid,
        channel: 'web',
        template: { name: 'shipped', variables: { order: 'A-17' } },
      },
    })
    expect(sent.status).toBe(202)
    await expect.poll(() => push.received(subscription).length, { timeout: 5000 }).toBe(1)
    expect(push.received(subscription)[0]?.payload).toMatchObject({
      title: 'Your order',
      message_id: sent.body.id,
    })
    expect(JSON.stringify(push.received(subscription)[0]?.payload)).toContain(
      'Order A-17 has shipped',
    )

    push.unsubscribe(subscription)
    const again = await t.call('POST', '/v1/messages', {
      body: { contact_id: cid, channel: 'web', text: 'still there?' },
    })
    await expect
      .poll(async () => (await t.call('GET', `/v1/messages/${again.body.id}`)).body.status, {
        timeout: 5000,
      })
      .toBe('failed')
    const refused = await t.call('POST', '/v1/messages', {
      body: { contact_id: cid, channel: 'web', text: 'x' },
    })
    expect(refused.status).toBe(422)
    expect(refused.body.error.code).toBe('contact_unreachable')
  })

  it('a contact who never subscribed cannot be pushed to (contact-first)', async () => {
    const r = await t.call('POST', '/v1/messages', {
      body: {
        to: { channel: 'web', address: '{"endpoint":"https://push.example/x"}' },
        text: 'hi',
      },
    })
    expect(r.status).toBe(422)
    expect(r.body.error.code).toBe('contact_first')
  })
})

describe('webpush endpoints from outside', () => {
  it('refuses loopback endpoints (422 url_forbidden) and http ones (400) unless allowed', async () => {
    await t.close()
    await push.close()
    await setup(false)
    const subscription = push.subscribe(null)
    const hash = userHash('site-secret', 'u9')
    const https = {
      ...subscription,
      endpoint: subscription.endpoint.replace('http://', 'https://'),
    }
    const r = await register({ external_id: 'u9', user_hash: hash, subscription: https })
    expect(r.status).toBe(422)
    expect(r.body.error.code).toBe('url_forbidden')
    const plain = await register({ external_id: 'u9', user_hash: hash, subscription })
    expect(plain.status).toBe(400)
    expect(plain.body.error.details.field).toBe('subscription')
  })
})

describe('webpush subscriptions: malformed bodies', () => {
  it.each(['null', '42', '[]', '"x"', '{'])(
    'answers 401, not 500, for the body %s',
    async (raw) => {
      const r = await t.call('POST', '/v1/channels/web/subscriptions', {
        key: null,
        raw,
        headers: { 'content-type': 'application/json' },
      })
      expect(r.status).toBe(401)
      expect(r.body.error.code).toBe('signature_invalid')
    },
  )
})
