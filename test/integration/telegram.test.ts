/**
 * Telegram through the daemon: the real grammY client against the local Bot API fake, with the
 * daemon's own inbound path, dispatcher and SQLite store. What a user relies on: people who write
 * become contacts (contact-first), texts and files go both ways, 429 waits retry_after, a blocked
 * bot stops sending until the person writes again, webhook mode checks its secret, a bad token is
 * one channel's error, and a restart neither re-reads nor loses updates.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  startTelegramFake,
  waitFor,
  type TelegramFake,
  type UserMessage,
} from '../fakes/telegram-api.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const WRONG_TOKEN = '999999:WRONG-token'
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01])
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xfe])

let fake: TelegramFake | null = null
let t: TestGateway | null = null

afterEach(async () => {
  await t?.close()
  await fake?.close()
  t = null
  fake = null
})

/**
 * A gateway with channel `tg` on the fake. The per-recipient rate is raised from Telegram's 1/s so
 * a test of retry_after measures the platform's wait, not our own pacing.
 */
function yaml(f: TelegramFake, tg = '', more = ''): string {
  return `server:
  public_url: https://gw.example
dispatcher:
  backoff_base: 50ms
  backoff_max: 200ms
channels:
  tg:
    type: telegram
    token: "${f.token}"
    api_root: ${f.apiRoot}
    rules:
      rate: { per_second: 30, per_recipient_per_second: 20 }
${tg}${more}`
}

/** `tg` adds keys to channel `tg`; `more` adds channels (given the fake). */
async function start(
  tg = '',
  more: (f: TelegramFake) => string = () => '',
): Promise<{ f: TelegramFake; g: TestGateway }> {
  const f = (fake = await startTelegramFake())
  const g = (t = await startGateway(yaml(f, tg, more(f)), { dispatcher: true }))
  return { f, g }
}

/** A private-chat message from the person, delivered by polling; resolves once it is stored. */
async function userWrites(o: UserMessage): Promise<{ id: string; thread_id: string }> {
  const u = fake!.queueUpdate(fake!.messageUpdate(o))
  const pmid = `${o.chatId}:${(u.message as { message_id: number }).message_id}`
  const m = await waitFor(() => t!.gw.store.messages.findByPlatformId('tg', pmid))
  return { id: m.id, thread_id: m.thread_id }
}

async function send(body: Record<string, unknown>) {
  return t!.call('POST', '/v1/messages', { key: KEYS.alice, body })
}

async function message(id: string) {
  return (await t!.call('GET', `/v1/messages/${id}`)).body
}

async function statusOf(id: string): Promise<string> {
  return (await message(id)).status as string
}

async function contactByName(q: string) {
  const r = await t!.call('GET', `/v1/contacts?q=${encodeURIComponent(q)}`)
  expect(r.status).toBe(200)
  return r.body.items as any[]
}

/** The attachment's bytes as an agent downloads them (binary-safe, unlike `call`). */
async function download(
  id: string,
): Promise<{ status: number; type: string | null; data: Buffer }> {
  const res = await t!.gw.app.request(`/v1/attachments/${id}`, {
    headers: { authorization: `Bearer ${KEYS.alice}` },
  })
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    data: Buffer.from(await res.arrayBuffer()),
  }
}

const b64 = (b: Buffer) => b.toString('base64')

describe('telegram through the daemon', () => {
  it('a person who writes becomes a contact with an identity and a thread; text and photo are stored', async () => {
    await start()
    const first = await userWrites({
      chatId: 4242,
      firstName: 'Ana',
      lastName: 'Lima',
      text: 'Hi!',
    })
    const photo = await userWrites({ chatId: 4242, firstName: 'Ana', photo: JPEG, caption: 'look' })
    expect(photo.thread_id).toBe(first.thread_id)

    const [ana, ...others] = await contactByName('ana')
    expect(others).toHaveLength(0)
    expect(ana).toMatchObject({
      first_name: 'Ana',
      last_name: 'Lima',
      identities: [{ channel: 'tg', address: '4242', reachable: true }],
    })
    expect(ana.identities[0].first_inbound_at).not.toBeNull()

    const tl = await t!.call('GET', `/v1/contacts/${ana.id}/timeline`)
    const msgs = tl.body.items.filter((i: any) => i.kind === 'message').map((i: any) => i.message)
    expect(msgs.map((m: any) => [m.direction, m.text])).toEqual([
      ['in', 'Hi!'],
      ['in', 'look'],
    ])
    const att = msgs[1].attachments[0]
    expect(att).toMatchObject({ content_type: 'image/jpeg', size: JPEG.length })
    const got = await download(att.id)
    expect(got.status).toBe(200)
    expect(got.type).toBe('image/jpeg')
    expect(got.data.equals(JPEG)).toBe(true)
    // Its polling loop reports to the daemon's health board, named after the channel.
    const loops = t!.gw.svc.health.loops().map((l) => l.name)
    expect(loops).toContain('channel:tg:polling')
    expect((await t!.call('GET', '/readyz', { key: null })).status).toBe(200)
  })

  it('contact-first: a send to someone who never wrote is refused; after they write it goes to their chat', async () => {
    const { f } = await start()
    const before = await send({ to: { channel: 'tg', address: '5151' }, text: 'Hello?' })
    expect(before.status).toBe(422)
    expect(before.body.error.code).toBe('contact_first')
    // Nothing is stored for a refused send: no contact appears.
    expect((await t!.call('GET', '/v1/contacts')).body.items).toHaveLength(0)

    await userWrites({ chatId: 5151, firstName: 'Bea', text: 'hello bot' })
    const [bea] = await contactByName('bea')
    const r = await send({ contact_id: bea.id, text: 'Hi {{first_name}}, how can we help?' })
    expect(r.status).toBe(202)
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    const calls = f.callsTo('sendMessage')
    expect(calls).toHaveLength(1)
    expect(String(calls[0]!.params.chat_id)).toBe('5151')
    expect(calls[0]!.params.text).toBe('Hi Bea, how can we help?')
    expect((await message(r.body.id)).platform_message_id).toMatch(/^5151:\d+$/)
  })

  it('attachments: one image → sendPhoto with the caption, several → one album, a file → sendDocument', async () => {
    const { f } = await start()
    await userWrites({ chatId: 77, firstName: 'Caio', text: 'send me the docs' })
    const [caio] = await contactByName('caio')
    const photo = await send({
      contact_id: caio.id,
      text: 'your receipt',
      attachments: [{ filename: 'receipt.png', content_type: 'image/png', data: b64(PNG) }],
    })
    const album = await send({
      contact_id: caio.id,
      attachments: [
        { filename: 'a.jpg', content_type: 'image/jpeg', data: b64(JPEG) },
        { filename: 'b.png', content_type: 'image/png', data: b64(PNG) },
      ],
    })
    const pdf = await send({
      contact_id: caio.id,
      text: 'the contract',
      attachments: [
        {
          filename: 'contract.pdf',
          content_type: 'application/pdf',
          data: b64(Buffer.from('%PDF-1.4')),
        },
      ],
    })
    for (const r of [photo, album, pdf]) {
      expect(r.status).toBe(202)
      await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    }
    const [p] = f.callsTo('sendPhoto')
    expect(p).toMatchObject({ params: { chat_id: 77, caption: 'your receipt' } })
    expect(p!.files[0]!.data.equals(PNG)).toBe(true)
    const [g] = f.callsTo('sendMediaGroup')
    expect(g!.files.map((x) => x.data.length)).toEqual([JPEG.length, PNG.length])
    const [d] = f.callsTo('sendDocument')
    expect(d).toMatchObject({ params: { caption: 'the contract' } })
    expect(d!.files[0]).toMatchObject({ filename: 'contract.pdf' })
    expect(f.callsTo('sendMessage')).toHaveLength(0)
  })

  it('refuses a text over 4096 characters and a caption over 1024 before queueing (never cut)', async () => {
    const { f } = await start()
    await userWrites({ chatId: 78, firstName: 'Dora', text: 'hi' })
    const [dora] = await contactByName('dora')
    const long = await send({ contact_id: dora.id, text: 'x'.repeat(4097) })
    expect(long.status).toBe(422)
    expect(long.body.error.code).toBe('text_too_long')
    const caption = await send({
      contact_id: dora.id,
      text: 'x'.repeat(1025),
      attachments: [{ filename: 'a.png', content_type: 'image/png', data: b64(PNG) }],
    })
    expect(caption.body.error.code).toBe('text_too_long')
    expect(f.calls.filter((c) => c.method.startsWith('send'))).toHaveLength(0)
  })

  it('429 with retry_after: the dispatcher waits at least that long, then sends once', async () => {
    const { f } = await start()
    await userWrites({ chatId: 88, firstName: 'Eva', text: 'hi' })
    const [eva] = await contactByName('eva')
    f.fail('sendMessage', {
      kind: 'error',
      code: 429,
      description: 'Too Many Requests: retry after 1',
      retryAfter: 1,
    })
    const r = await send({ contact_id: eva.id, text: 'patience' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    const [first, second, ...more] = f.callsTo('sendMessage')
    expect(more).toHaveLength(0)
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000)
    expect((await message(r.body.id)).attempts).toBe(2)
  })

  it('a 502 and a dropped connection are retried until sent; the drop flags a possible duplicate', async () => {
    const { f } = await start()
    await userWrites({ chatId: 89, firstName: 'Ezra', text: 'hi' })
    const [ezra] = await contactByName('ezra')
    f.fail('sendMessage', { kind: 'http', status: 502, body: '<html>Bad Gateway</html>' })
    f.fail('sendMessage', { kind: 'drop' })
    const r = await send({ contact_id: ezra.id, text: 'eventually' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    expect(f.callsTo('sendMessage')).toHaveLength(3)
    const m = await message(r.body.id)
    expect(m.attempts).toBe(3)
    // Telegram takes no idempotency key: a request lost mid-way may have been delivered.
    expect(m.possible_duplicate).toBe(true)
  })

  it('a person who blocked the bot: failed + unreachable, later sends refused, writing again reopens', async () => {
    const { f } = await start()
    await userWrites({ chatId: 99, firstName: 'Fay', text: 'hi' })
    const [fay] = await contactByName('fay')
    f.block(99)
    const r = await send({ contact_id: fay.id, text: 'are you there?' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('failed')
    expect((await message(r.body.id)).error.code).toBe('blocked')
    expect(f.callsTo('sendMessage')).toHaveLength(1) // never retried
    const [after] = await contactByName('fay')
    expect(after.identities[0].reachable).toBe(false)
    const refused = await send({ contact_id: fay.id, text: 'again?' })
    expect(refused.status).toBe(422)
    expect(refused.body.error.code).toBe('contact_unreachable')

    f.unblock(99)
    await userWrites({ chatId: 99, firstName: 'Fay', text: 'I am back' })
    const ok = await send({ contact_id: fay.id, text: 'welcome back' })
    expect(ok.status).toBe(202)
    await expect.poll(() => statusOf(ok.body.id), { timeout: 5000 }).toBe('sent')
  })

  it('my_chat_member: blocking the bot marks the identity unreachable, unblocking reachable', async () => {
    const { f } = await start()
    await userWrites({ chatId: 111, firstName: 'Gil', text: 'hi' })
    const [gil] = await contactByName('gil')
    const reachable = async () => (await contactByName('gil'))[0].identities[0].reachable as boolean
    f.queueUpdate(f.memberUpdate(111, 'kicked'))
    await expect.poll(reachable, { timeout: 5000 }).toBe(false)
    expect((await send({ contact_id: gil.id, text: 'x' })).body.error.code).toBe(
      'contact_unreachable',
    )
    f.queueUpdate(f.memberUpdate(111, 'member'))
    await expect.poll(reachable, { timeout: 5000 }).toBe(true)
    expect((await send({ contact_id: gil.id, text: 'x' })).status).toBe(202)
  })

  it('the same message delivered twice is stored once', async () => {
    const { f, g } = await start()
    const update = f.messageUpdate({ chatId: 222, firstName: 'Hana', text: 'once' })
    f.queueUpdate(update)
    const second = f.queueUpdate(update)
    // Both updates handled: the stored offset is past the second one.
    await waitFor(
      async () =>
        (await g.gw.store.kv.get('channel:tg', 'telegram.offset')) === String(second.update_id + 1),
    )
    const [hana] = await contactByName('hana')
    const tl = await g.call('GET', `/v1/contacts/${hana.id}/timeline`)
    expect(tl.body.items.filter((i: any) => i.kind === 'message')).toHaveLength(1)
  })

  it('a wrong token: that channel shows error with Telegram’s reason; the other one stays connected and sends', async () => {
    const { f, g } = await start(
      '',
      (bad) => `  tg-bad:
    type: telegram
    token: "${WRONG_TOKEN}"
    api_root: ${bad.apiRoot}
`,
    )
    const list = await g.call('GET', '/v1/channels')
    const byName = Object.fromEntries(list.body.items.map((c: any) => [c.name, c]))
    expect(byName['tg-bad']).toMatchObject({ state: 'error' })
    expect(byName['tg-bad'].detail).toMatch(/401 Unauthorized/)
    expect(byName['tg-bad'].detail).not.toContain('WRONG')
    expect(byName.tg).toMatchObject({ state: 'connected', detail: null })

    await userWrites({ chatId: 333, firstName: 'Ines', text: 'hi' })
    const [ines] = await contactByName('ines')
    const r = await send({ contact_id: ines.id, text: 'still working' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    expect(f.callsTo('sendMessage')).toHaveLength(1)
  })

  it('restart: polling resumes after the last stored update — nothing re-read, nothing lost', async () => {
    const { f, g } = await start()
    const before = f.queueUpdate(
      f.messageUpdate({ chatId: 444, firstName: 'Jo', text: 'before the restart' }),
    )
    // The offset is stored after the message's commit is on disk, a moment after it shows.
    const offset = await waitFor(async () => {
      const v = await g.gw.store.kv.get('channel:tg', 'telegram.offset')
      return v === String(before.update_id + 1) ? v : null
    })
    await g.stop()

    // Written while the daemon was down: Telegram keeps it until it is confirmed.
    const during = f.queueUpdate(
      f.messageUpdate({ chatId: 444, firstName: 'Jo', text: 'while down' }),
    )
    const polled = f.calls.length
    t = await startGateway(yaml(f), { dispatcher: true, dir: g.dir })
    const pmid = `444:${(during.message as { message_id: number }).message_id}`
    await waitFor(() => t!.gw.store.messages.findByPlatformId('tg', pmid))

    const firstPoll = f.calls.slice(polled).find((c) => c.method === 'getUpdates')
    expect(firstPoll?.params.offset).toBe(Number(offset))
    const [jo] = await contactByName('jo')
    const tl = await t.call('GET', `/v1/contacts/${jo.id}/timeline`)
    const texts = tl.body.items
      .filter((i: any) => i.kind === 'message')
      .map((i: any) => i.message.text)
    expect(texts).toEqual(['before the restart', 'while down'])
  })
})

describe('telegram webhook mode through the daemon', () => {
  const SECRET = 'hook-secret_42'

  async function hook(update: unknown, secret?: string) {
    return t!.call('POST', '/hooks/telegram/tg', {
      key: null,
      raw: JSON.stringify(update),
      headers: {
        'content-type': 'application/json',
        ...(secret === undefined ? {} : { 'x-telegram-bot-api-secret-token': secret }),
      },
    })
  }

  it('registers public_url/hooks/telegram/<name> with the secret; only requests carrying it are stored, once', async () => {
    const { f, g } = await start(`    mode: webhook\n    webhook_secret: ${SECRET}\n`)
    // Registration runs in the background after start(); the state says when it is done.
    const state = async () => (await g.call('GET', '/v1/channels')).body.items[0].state as string
    await expect.poll(state, { timeout: 5000 }).toBe('connected')
    expect(f.callsTo('setWebhook')[0]?.params).toMatchObject({
      url: 'https://gw.example/hooks/telegram/tg',
      secret_token: SECRET,
    })
    expect(f.callsTo('getUpdates')).toHaveLength(0)

    const update = {
      update_id: 9001,
      ...f.messageUpdate({ chatId: 555, firstName: 'Kim', text: 'via hook' }),
    }
    expect((await hook(update)).status).toBe(401)
    expect((await hook(update, 'wrong-secret')).status).toBe(401)
    expect(await contactByName('kim')).toHaveLength(0)

    expect((await hook(update, SECRET)).status).toBe(200)
    expect((await hook(update, SECRET)).status).toBe(200) // Telegram's redelivery
    const [kim] = await contactByName('kim')
    const tl = await g.call('GET', `/v1/contacts/${kim.id}/timeline`)
    const msgs = tl.body.items.filter((i: any) => i.kind === 'message')
    expect(msgs.map((i: any) => i.message.text)).toEqual(['via hook'])

    const r = await send({ contact_id: kim.id, text: 'answer' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
  })
})
