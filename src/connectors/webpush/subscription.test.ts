import { createECDH, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { parseSubscription, subscriptionAddress } from './subscription.js'

const ecdh = createECDH('prime256v1')
ecdh.generateKeys()
const p256dh = ecdh.getPublicKey().toString('base64url')
const auth = randomBytes(16).toString('base64url')
const endpoint = 'https://fcm.googleapis.com/fcm/send/dXk3abc:APA91b'

describe('push subscriptions', () => {
  it('gives the same address for the same subscription, whatever its key order and padding', () => {
    const a = parseSubscription({ endpoint, keys: { p256dh, auth }, expirationTime: null })
    const b = parseSubscription(
      `{"keys":{"auth":"${auth}==","p256dh":"${p256dh}="},"endpoint":"${endpoint}"}`,
    )
    if (!a.ok || !b.ok) throw new Error('valid subscriptions refused')
    expect(subscriptionAddress(a.subscription)).toBe(subscriptionAddress(b.subscription))
    expect(JSON.parse(subscriptionAddress(a.subscription))).toEqual({
      endpoint,
      keys: { p256dh, auth },
    })
  })

  it.each([
    ['not JSON', '{endpoint'],
    ['not an object', 42],
    ['no endpoint', { keys: { p256dh, auth } }],
    ['not a URL', { endpoint: 'push me', keys: { p256dh, auth } }],
    ['http endpoint', { endpoint: 'http://push.example/x', keys: { p256dh, auth } }],
    [
      'credentials in the endpoint',
      { endpoint: 'https://u:p@push.example/x', keys: { p256dh, auth } },
    ],
    [
      'an endpoint far too long',
      { endpoint: `https://push.example/${'a'.repeat(3000)}`, keys: { p256dh, auth } },
    ],
    ['a short p256dh', { endpoint, keys: { p256dh: p256dh.slice(0, 40), auth } }],
    [
      'a compressed p256dh',
      { endpoint, keys: { p256dh: Buffer.alloc(65, 2).toString('base64url'), auth } },
    ],
    ['a short auth', { endpoint, keys: { p256dh, auth: randomBytes(8).toString('base64url') } }],
    ['missing keys', { endpoint }],
  ])('refuses %s', (_what, input) => {
    expect(parseSubscription(input).ok).toBe(false)
  })

  it('admits http endpoints only when asked (local test services)', () => {
    const local = { endpoint: 'http://127.0.0.1:9000/push/1', keys: { p256dh, auth } }
    expect(parseSubscription(local).ok).toBe(false)
    expect(parseSubscription(local, { allowHttp: true }).ok).toBe(true)
  })
})
