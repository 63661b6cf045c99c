/**
 * Bounded input: every request body is checked for depth and for the size of free JSON
 * (`attributes`, `variables`, `template.variables`) before anything recursive touches it. Deeply
 * nested `attributes` (5 000 levels, a 25 KB body) were a 500: `JSON.stringify` overflowed the
 * stack while storing them. Now they are a 400 `invalid_field` naming the field, and nothing is
 * stored.
 */
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_FREE_JSON_BYTES, MAX_JSON_DEPTH } from '../../src/gateway/http/json-bounds.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'

const SMS_SECRET = 'sms-secret'
let t: TestGateway
let contactId = ''

beforeAll(async () => {
  t = await startGateway(
    `templates:
  hello:
    text: "Hi {{first_name|there}}"
channels:
  sms:
    type: webhook
    url: http://127.0.0.1:9/relay
    secret: ${SMS_SECRET}
    address: phone
`,
  )
  const c = await t.call('POST', '/v1/contacts', {
    body: { first_name: 'Ana', identities: [{ channel: 'sms', address: '+491701234567' }] },
  })
  contactId = c.body.id
})
afterAll(async () => {
  await t?.close()
})

/** JSON text of `levels` objects inside each other: `{"a":{"a":…1}}`. */
const nestedText = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`

const contactCount = async () =>
  (await t.call('GET', '/v1/contacts?limit=200')).body.items.length as number

function expectInvalid(r: Awaited<ReturnType<TestGateway['call']>>, field: string) {
  expect(r.status).toBe(400)
  expect(r.body.error.code).toBe('invalid_field')
  expect(r.body.error.details.field).toBe(field)
}

describe('bounded input', () => {
  it('deeply nested attributes (5 000 levels, a 25 KB body) are a 400 naming attributes, not a 500 (stack overflow in JSON.stringify)', async () => {
    const before = await contactCount()
    const raw = `{"first_name":"Deep","attributes":${nestedText(5000)}}`
    expect(raw.length).toBeGreaterThan(25_000)
    expectInvalid(
      await t.call('POST', '/v1/contacts', {
        raw,
        headers: { 'content-type': 'application/json' },
      }),
      'attributes',
    )
    expect(await contactCount()).toBe(before)
  })

  it('100 000 levels are refused the same way (JSON.parse takes them, nothing after it walks them)', async () => {
    const raw = `{"attributes":${nestedText(100_000)}}`
    expectInvalid(
      await t.call('POST', '/v1/contacts', {
        raw,
        headers: { 'content-type': 'application/json' },
      }),
      'attributes',
    )
    const array = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
    expectInvalid(
      await t.call('POST', '/v1/contacts', {
        raw: array,
        headers: { 'content-type': 'application/json' },
      }),
      'body',
    )
  })

  it('names the field on every route that takes free JSON', async () => {
    const deep = JSON.parse(nestedText(100)) as unknown
    const cases: [string, string, unknown, string][] = [
      ['PATCH', `/v1/contacts/${contactId}`, { attributes: deep }, 'attributes'],
      [
        'POST',
        '/v1/messages',
        { to: { channel: 'sms', address: '+491709999999', attributes: deep }, text: 'x' },
        'to.attributes',
      ],
      ['POST', '/v1/messages', { contact_id: contactId, text: 'x', variables: deep }, 'variables'],
      [
        'POST',
        '/v1/messages',
        { contact_id: contactId, template: { name: 'hello', variables: deep } },
        'template.variables',
      ],
      [
        'POST',
        '/v1/bulk',
        { contact_ids: [contactId], channel: 'sms', text: 'x', variables: deep },
        'variables',
      ],
      ['POST', '/v1/threads', { contact_id: contactId, channel: 'sms', tags: [deep] }, 'tags'],
    ]
    for (const [method, path, body, field] of cases) {
      expectInvalid(await t.call(method, path, { body }), field)
    }
  })

  it('attributes over 64 KB are refused; at the size and depth limits they are stored and read back', async () => {
    const big = { notes: 'x'.repeat(MAX_FREE_JSON_BYTES) }
    expectInvalid(await t.call('POST', '/v1/contacts', { body: { attributes: big } }), 'attributes')
    expectInvalid(
      await t.call('PATCH', `/v1/contacts/${contactId}`, { body: { attributes: big } }),
      'attributes',
    )

    const attributes = {
      notes: 'x'.repeat(MAX_FREE_JSON_BYTES - 400),
      deep: JSON.parse(nestedText(MAX_JSON_DEPTH - 2)) as unknown,
    }
    // The body is MAX_JSON_DEPTH deep: itself, attributes, then `deep`.
    const c = await t.call('POST', '/v1/contacts', { body: { first_name: 'Big', attributes } })
    expect(c.status).toBe(201)
    expect((await t.call('GET', `/v1/contacts/${c.body.id}`)).body.attributes).toEqual(attributes)
  })

  it('a signed webhook-channel inbound with deep junk is a 400, not a 5xx', async () => {
    const raw = `{"id":"in-1","from":{"address":"+491701111111"},"text":${'['.repeat(5000)}${']'.repeat(5000)}}`
    const signature = `sha256=${createHmac('sha256', SMS_SECRET).update(raw).digest('hex')}`
    const r = await t.call('POST', '/v1/channels/sms/inbound', {
      key: null,
      raw,
      headers: { 'content-type': 'application/json', 'x-omnigate-signature': signature },
    })
    expectInvalid(r, 'text')
  })
})
