/**
 * Web chat conversation endpoints (DESIGN §12): history paging, the visitor's messages (client_id
 * dedupe, attachments, the channel's limits), the visitor's request budget, and push registration.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { LiveEvent } from '../../../src/gateway/live/bus.js'
import { startGateway, type TestGateway } from '../../helpers/harness.js'
import { agentSends, statusOf, visitor, webchatYaml } from './rig.js'

let t: TestGateway | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

describe('webchat conversation', () => {
  it('history pages back from the newest, both directions, with `before`', async () => {
    t = await startGateway(
      webchatYaml('    rules: { rate: { per_recipient_per_second: 1000 } }\n'),
      {
        dispatcher: true,
      },
    )
    const v = await visitor(t, 'user-1')
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const own = await v.post('/messages', { text: `visitor ${i}`, client_id: `c${i}` })
      ids.push(own.body.message_id)
      ids.push(await agentSends(t, v.contactId, `agent ${i}`))
    }
    await expect.poll(() => statusOf(t!, ids.at(-1)!)).toBe('sent')
    const page1 = await v.get('/messages?limit=4')
    expect(page1.status).toBe(200)
    expect(page1.body.items.map((m: { id: string }) => m.id)).toEqual(ids.slice(6))
    expect(page1.body.items.map((m: { direction: string }) => m.direction)).toEqual([
      'in',
      'out',
      'in',
      'out',
    ])
    const page2 = await v.get(`/messages?limit=4&before=${page1.body.next_before}`)
    expect(page2.body.items.map((m: { id: string }) => m.id)).toEqual(ids.slice(2, 6))
    const page3 = await v.get(`/messages?limit=4&before=${page2.body.next_before}`)
    expect(page3.body.items.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 2))
    expect(page3.body.next_before).toBeNull()
    // Another visitor sees none of it.
    const other = await visitor(t, 'user-2')
    expect((await other.get('/messages')).body).toEqual({ items: [], next_before: null })
  })

  it('a visitor message goes through the inbound path; a retried client_id is the same answer', async () => {
    t = await startGateway(webchatYaml())
    const inbound: LiveEvent[] = []
    t.gw.svc.live.subscribe((es) => inbound.push(...es.filter((e) => e.type === 'message.inbound')))
    const v = await visitor(t, 'user-3')
    const body = {
      text: '<img src=x onerror=alert(1)>',
      client_id: 'b1f0c6d2',
      attachments: [
        {
          filename: 'r.pdf',
          content_type: 'application/pdf',
          data: Buffer.from('%PDF').toString('base64'),
        },
      ],
    }
    const first = await v.post('/messages', body)
    expect(first.status).toBe(200)
    const again = await v.post('/messages', body)
    expect(again.body).toEqual(first.body)
    expect(inbound).toHaveLength(1)
    expect(inbound[0]!.data).toMatchObject({ channel: 'site', contact_id: v.contactId })
    const thread = await t.call('GET', `/v1/threads/${first.body.thread_id}/messages`)
    expect(thread.body.items).toHaveLength(1)
    expect(thread.body.items[0]).toMatchObject({ direction: 'in', text: body.text })
    const [m] = (await v.get('/messages')).body.items
    expect(m.attachments[0]).toMatchObject({ filename: 'r.pdf', size: 4 })
    // The attachment link is signed: it opens without a key.
    const file = await t.gw.app.request(
      new URL(m.attachments[0].url).pathname + new URL(m.attachments[0].url).search,
    )
    expect(file.status).toBe(200)
    expect(await file.text()).toBe('%PDF')
    // Another visitor's same client_id is another message.
    const w = await visitor(t, 'user-4')
    const theirs = await w.post('/messages', { text: 'hi', client_id: 'b1f0c6d2' })
    expect(theirs.body.message_id).not.toBe(first.body.message_id)
  })

  it("refuses what is over the channel's limits, naming them", async () => {
    t = await startGateway(webchatYaml())
    const v = await visitor(t, 'user-5')
    const long = await v.post('/messages', { text: 'x'.repeat(10_001), client_id: 'a' })
    expect(long.status).toBe(422)
    expect(long.body.error).toMatchObject({ code: 'text_too_long', details: { limit: 10_000 } })
    const file = { filename: 'a.png', content_type: 'image/png', data: 'AAAA' }
    const many = await v.post('/messages', { attachments: Array(6).fill(file), client_id: 'b' })
    expect(many.status).toBe(422)
    expect(many.body.error).toMatchObject({
      code: 'attachment_rejected',
      details: { max_count: 5 },
    })
    const empty = await v.post('/messages', { text: '  ', client_id: 'c' })
    expect(empty.body.error.code).toBe('empty_message')
    const notBase64 = await v.post('/messages', {
      attachments: [{ ...file, data: '%%%' }],
      client_id: 'd',
    })
    expect(notBase64.status).toBe(400)
    // Over server.body_limit (1 MB by default): 413 before anything is read.
    const huge = await v.post('/messages', {
      attachments: [{ ...file, data: Buffer.alloc(2_000_000).toString('base64') }],
      client_id: 'e',
    })
    expect(huge.status).toBe(413)
    expect(huge.body.error.code).toBe('body_too_large')
  })

  it('a flooding visitor gets 429 with Retry-After; another visitor is not affected', async () => {
    t = await startGateway(webchatYaml())
    const v = await visitor(t, 'user-6')
    const statuses: number[] = []
    let retryAfter: string | null = null
    for (let i = 0; i < 30; i++) {
      const r = await v.post('/typing', {})
      statuses.push(r.status)
      if (r.status === 429) retryAfter = r.headers.get('retry-after')
    }
    expect(statuses).toContain(429)
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
    const w = await visitor(t, 'user-7')
    expect((await w.post('/typing', {})).status).toBe(200)
  })

  it('push registration needs a fallback.push channel', async () => {
    t = await startGateway(webchatYaml())
    const v = await visitor(t, 'user-8')
    const r = await v.post('/push', {
      subscription: { endpoint: 'https://push.example/x', keys: { p256dh: 'a', auth: 'b' } },
    })
    expect(r.status).toBe(400)
    expect(r.body.error).toMatchObject({
      code: 'invalid_field',
      details: { field: 'subscription' },
    })
  })
})
