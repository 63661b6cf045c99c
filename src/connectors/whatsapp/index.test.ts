import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FakeMessageMedia, FakeWWebClient } from '../../../test/fakes/wweb-client.js'
import {
  SendError,
  type ChannelState,
  type ConnectorContext,
  type InboundMessage,
  type OutboundAttachment,
  type OutboundPayload,
  type StatusUpdate,
} from '../types.js'
import type { Connector } from '../types.js'
import { createWhatsAppConnector, type WhatsAppSettings } from './index.js'
import { settingsFrom } from '../shared/settings.test-helper.js'
import { whatsappSettings } from './settings.js'

const NUMBER = '+4917612345678'
const DIGITS = '4917612345678'

interface Harness {
  connector: Connector
  fake: () => FakeWWebClient
  factoryCalls: number
  states: ChannelState[]
  inbound: InboundMessage[]
  statuses: StatusUpdate[]
  logs: string[]
  dataDir: string
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

/** Settings as the config gives them (defaults applied); `extra` may bypass the schema. */
function wa(extra: Partial<WhatsAppSettings>): WhatsAppSettings {
  return { ...settingsFrom(whatsappSettings, { type: 'whatsapp' }), ...extra }
}

async function setup(
  settings: WhatsAppSettings = wa({ chromium_path: process.execPath }),
): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'omnigate-wa-'))
  const logs: string[] = []
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString())
        done()
      },
    }),
  )
  let client: FakeWWebClient | null = null
  const h: Harness = {
    connector: null as unknown as Connector,
    fake: () => {
      if (client === null) throw new Error('no client was created')
      return client
    },
    factoryCalls: 0,
    states: [],
    inbound: [],
    statuses: [],
    logs,
    dataDir,
  }
  h.connector = createWhatsAppConnector(
    { name: 'wa', publicUrl: 'http://localhost:8080', allowPrivateUrls: false },
    settings,
    {
      clientFactory: (o) => {
        h.factoryCalls += 1
        client = new FakeWWebClient(o)
        return client
      },
      mediaFactory: (mimetype, data, filename, filesize) =>
        new FakeMessageMedia(mimetype, data, filename, filesize),
      initTimeoutMs: 100,
      backoff: { baseMs: 10, maxMs: 40 },
      pathEnv: '',
    },
  )
  const abort = new AbortController()
  const ctx: ConnectorContext = {
    log,
    dataDir,
    signal: abort.signal,
    inbound: (msg) => {
      h.inbound.push(msg)
      return Promise.resolve({
        messageId: `msg_${h.inbound.length}`,
        contactId: 'ct_1',
        threadId: 'th_1',
        created: true,
      })
    },
    status: (u) => {
      h.statuses.push(u)
      return Promise.resolve()
    },
    reachability: () => Promise.resolve(),
    state: (s) => h.states.push(s),
    kv: { get: async () => null, set: async () => undefined },
  }
  await h.connector.start(ctx)
  cleanups.push(async () => {
    abort.abort()
    await h.connector.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })
  return h
}

function last(h: Harness): ChannelState {
  const s = h.states.at(-1)
  if (!s) throw new Error('no state reported')
  return s
}

async function connected(): Promise<Harness> {
  const h = await setup()
  h.fake().becomeReady()
  await vi.waitFor(() => expect(last(h).state).toBe('connected'))
  return h
}

function attachment(filename: string, contentType: string, bytes: Buffer): OutboundAttachment {
  return {
    id: `att_${filename}`,
    filename,
    contentType,
    size: bytes.length,
    sha256: '',
    url: `http://localhost:8080/v1/attachments/att_${filename}`,
    read: () => Promise.resolve(bytes),
  }
}

function outbound(over: Partial<OutboundPayload> = {}): OutboundPayload {
  return {
    messageId: 'msg_01',
    channel: 'wa',
    threadId: 'th_1',
    to: NUMBER,
    contact: { id: 'ct_1', firstName: 'Ana', lastName: null },
    text: 'Hello Ana',
    template: null,
    attachments: [],
    email: null,
    createdAt: new Date().toISOString(),
    attempt: 1,
    signal: new AbortController().signal,
    ...over,
  }
}

async function sendError(p: Promise<unknown>): Promise<SendError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(SendError)
  return err as SendError
}

describe('WhatsApp Web connector: pairing and session', () => {
  it('shows the pairing QR, refreshes it on rotation and becomes connected once paired', async () => {
    const h = await setup()
    const fake = h.fake()
    expect(fake.options).toEqual({
      // the schema's default `session: whatsapp` (docs/configuration.md); LocalAuth's clientId keeps
      // two channels apart inside it
      dataPath: join(h.dataDir, 'whatsapp'),
      clientId: 'wa',
      executablePath: process.execPath,
    })
    await vi.waitFor(() => expect(fake.initializeCalls).toBe(1))
    expect(last(h).state).toBe('connecting')

    // qrcode is a dependency, so the pairing QR arrives as an image.
    fake.emitQr('1@first-qr-ref,key1,key2')
    await vi.waitFor(() => expect(last(h).state).toBe('qr_required'))
    expect(last(h).qr).toMatch(/^data:image\/png;base64,/)
    expect(h.logs.join('')).toContain('pairing QR')

    fake.emitQr('2@second-qr-ref,key1,key2')
    const qrStates = (): ChannelState[] => h.states.filter((s) => s.state === 'qr_required')
    await vi.waitFor(() => expect(qrStates()).toHaveLength(2))
    const [q1, q2] = qrStates()
    expect(q2?.qr).not.toBe(q1?.qr)

    fake.becomeReady()
    await vi.waitFor(() => expect(last(h)).toEqual({ state: 'connected' }))
  })

  it('reconnects with backoff after a drop and is connected again with the saved session', async () => {
    const h = await connected()
    const fake = h.fake()
    const before = h.states.length
    fake.disconnect('NAVIGATION')
    expect(last(h).state).toBe('disconnected')
    await vi.waitFor(() => expect(last(h).state).toBe('connected'))
    const afterDrop = h.states.slice(before)
    expect(afterDrop.map((s) => s.state)).toEqual([
      'disconnected',
      'disconnected',
      'connecting',
      'connecting',
      'connected',
    ])
    expect(afterDrop[1]?.detail).toMatch(/NAVIGATION.*reconnecting in \d+ s/)
    expect(fake.destroyCalls).toBe(1) // destroy, then initialize again
    expect(fake.initializeCalls).toBe(2)
    expect(h.factoryCalls).toBe(1)
  })

  it('puts a deadline on initialize(): a hung start is destroyed and retried', async () => {
    const h = await setup()
    // setup() already started the first initialize (planned before it: nothing), so plan the retries.
    const fake = h.fake()
    fake.disconnect('TIMEOUT')
    fake.planInitialize(
      'hang',
      { fail: 'net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com' },
      'ok',
    )
    await vi.waitFor(() => expect(fake.initializeCalls).toBe(4), { timeout: 5_000 })
    const details = h.states.filter((s) => s.state === 'disconnected').map((s) => s.detail ?? '')
    expect(details.some((d) => d.includes('did not finish within'))).toBe(true)
    expect(details.some((d) => d.includes('ERR_NAME_NOT_RESOLVED'))).toBe(true)
    expect(fake.destroyCalls).toBe(3) // before each of the three retries
    fake.emitQr('3@after-retries')
    await vi.waitFor(() => expect(last(h).state).toBe('qr_required'))
  })

  it('reports a logout on the phone as an error and does not reconnect in a loop', async () => {
    const h = await connected()
    const fake = h.fake()
    fake.disconnect('LOGOUT')
    expect(last(h).state).toBe('error')
    expect(last(h).detail).toMatch(/logged out on the phone; pair again/)
    await new Promise((r) => setTimeout(r, 200)) // 20× the backoff base: a loop would have retried
    expect(fake.initializeCalls).toBe(1)
    expect(fake.destroyCalls).toBe(0)
    expect(last(h).state).toBe('error')
    const err = await sendError(h.connector.send(outbound()))
    expect(err.kind).toBe('retry')
    expect(err.code).toBe('not_connected')

    // The library shows a fresh QR after a logout: pairing again works from there.
    fake.emitQr('4@pair-again')
    await vi.waitFor(() => expect(last(h).state).toBe('qr_required'))
    expect(last(h).detail).toContain('logged out on the phone')
    fake.becomeReady()
    await vi.waitFor(() => expect(last(h).state).toBe('connected'))
  })

  it('names chromium_path when the configured browser does not exist', async () => {
    const h = await setup(wa({ chromium_path: '/nonexistent/chromium' }))
    expect(h.factoryCalls).toBe(0)
    expect(last(h).state).toBe('error')
    expect(last(h).detail).toContain('chromium_path')
    expect(h.logs.join('')).toContain('chromium_path')
  })

  it('names chromium_path when no browser is configured and none is on PATH', async () => {
    const h = await setup(wa({}))
    expect(h.factoryCalls).toBe(0)
    expect(last(h)).toMatchObject({
      state: 'error',
      detail: expect.stringContaining('set chromium_path'),
    })
  })

  it('refuses a session option that is not a plain folder name', async () => {
    const h = await setup(wa({ chromium_path: process.execPath, session: '../escape' }))
    expect(h.factoryCalls).toBe(0)
    expect(last(h)).toMatchObject({ state: 'error', detail: expect.stringContaining('session') })
  })

  it('closes the browser on stop and reports nothing afterwards', async () => {
    const h = await connected()
    const fake = h.fake()
    await h.connector.stop()
    expect(fake.destroyCalls).toBe(1)
    const count = h.states.length
    fake.disconnect('NAVIGATION')
    fake.receive({ from: `${DIGITS}@c.us`, body: 'late' })
    await new Promise((r) => setTimeout(r, 50))
    expect(h.states.length).toBe(count)
    expect(h.inbound).toEqual([])
    expect(fake.initializeCalls).toBe(1)
  })
})

describe('WhatsApp Web connector: sending', () => {
  it('sends text to the registered number and returns the WhatsApp message id', async () => {
    const h = await connected()
    h.fake().register(NUMBER)
    const result = await h.connector.send(outbound())
    const [sent] = h.fake().sent
    expect(sent?.chatId).toBe(`${DIGITS}@c.us`)
    expect(sent?.content).toBe('Hello Ana')
    expect(result.platformMessageId).toBe(sent?.message.id._serialized)
  })

  it('sends media from the blobs, with the text as caption of the first attachment', async () => {
    const h = await connected()
    h.fake().register(NUMBER)
    const png = Buffer.from('89504e470d0a1a0a', 'hex')
    const pdf = Buffer.from('%PDF-1.4 invoice')
    const result = await h.connector.send(
      outbound({
        text: 'Your invoice',
        attachments: [
          attachment('a.png', 'image/png', png),
          attachment('inv.pdf', 'application/pdf', pdf),
        ],
      }),
    )
    const [first, second] = h.fake().sent
    expect(first?.content).toBeInstanceOf(FakeMessageMedia)
    expect(first?.content).toMatchObject({
      mimetype: 'image/png',
      data: png.toString('base64'),
      filename: 'a.png',
    })
    expect(first?.options).toEqual({ caption: 'Your invoice' })
    expect(second?.content).toMatchObject({
      mimetype: 'application/pdf',
      data: pdf.toString('base64'),
      filename: 'inv.pdf',
    })
    expect(second?.options).toEqual({ sendMediaAsDocument: true })
    expect(result.platformMessageId).toBe(first?.message.id._serialized)
  })

  it('fails a number that is not on WhatsApp as unreachable, sending nothing', async () => {
    const h = await connected()
    const err = await sendError(h.connector.send(outbound()))
    expect(err.kind).toBe('unreachable')
    expect(err.code).toBe('not_on_whatsapp')
    expect(h.fake().sent).toEqual([])
  })

  it('asks for a retry while not connected', async () => {
    const h = await setup()
    h.fake().emitQr('1@qr')
    const err = await sendError(h.connector.send(outbound()))
    expect(err).toMatchObject({ kind: 'retry', code: 'not_connected' })
    expect(err.retryAfterMs).toBeGreaterThan(0)
  })

  it('counts a browser crash during sendMessage as possibly delivered, during lookup as not', async () => {
    const h = await connected()
    h.fake().register(NUMBER)
    h.fake().breakNextCall(new Error('Protocol error (Runtime.callFunctionOn): Target closed.'))
    const lookup = await sendError(h.connector.send(outbound()))
    expect(lookup).toMatchObject({ kind: 'retry', code: 'browser_error', possiblyDelivered: false })

    const fake = h.fake()
    const original = fake.sendMessage.bind(fake)
    fake.sendMessage = () =>
      Promise.reject(
        new Error(
          'Protocol error (Runtime.callFunctionOn): Session closed. Most likely the page has been closed.',
        ),
      )
    const send = await sendError(h.connector.send(outbound()))
    expect(send).toMatchObject({ kind: 'retry', code: 'browser_error', possiblyDelivered: true })

    fake.sendMessage = () =>
      Promise.reject(new Error('Evaluation failed: TypeError: Cannot read properties of undefined'))
    const evaluation = await sendError(h.connector.send(outbound()))
    expect(evaluation).toMatchObject({
      kind: 'retry',
      code: 'evaluation_error',
      possiblyDelivered: false,
    })
    fake.sendMessage = original
  })

  it('refuses an address that is not E.164', async () => {
    const h = await connected()
    const err = await sendError(h.connector.send(outbound({ to: '017612345678' })))
    expect(err).toMatchObject({ kind: 'rejected', code: 'address_invalid' })
  })
})

describe('WhatsApp Web connector: inbound and acks', () => {
  it('delivers a person’s text with their number and display name, skipping groups, status and own messages', async () => {
    const h = await connected()
    const fake = h.fake()
    fake.receive({ from: '120363025555555555@g.us', body: 'group chatter' })
    fake.receive({ from: 'status@broadcast', body: 'my status' })
    fake.receive({ from: `${DIGITS}@c.us`, body: 'sent from my phone', fromMe: true })
    const msg = fake.receive({
      from: `${DIGITS}@c.us`,
      body: 'Hi, where is my order?',
      notifyName: 'Ana',
    })
    await vi.waitFor(() => expect(h.inbound).toHaveLength(1))
    expect(h.inbound[0]).toEqual({
      platformMessageId: msg.id._serialized,
      from: { address: NUMBER, displayName: 'Ana' },
      text: 'Hi, where is my order?',
      attachments: [],
      sentAt: new Date(msg.timestamp * 1000).toISOString(),
    })
  })

  it('delivers received media as attachment bytes with the caption as text', async () => {
    const h = await connected()
    const photo = Buffer.from('ffd8ffe000104a464946', 'hex')
    h.fake().receive({
      from: `${DIGITS}@c.us`,
      body: 'the broken part',
      media: { mimetype: 'image/jpeg', data: photo },
    })
    await vi.waitFor(() => expect(h.inbound).toHaveLength(1))
    const [att] = h.inbound[0]?.attachments ?? []
    expect(h.inbound[0]?.text).toBe('the broken part')
    expect(att?.contentType).toBe('image/jpeg')
    expect(att?.filename).toMatch(/\.jpg$/)
    expect(att?.data.equals(photo)).toBe(true)
  })

  it('turns acks of sent messages into delivered, read and failed statuses', async () => {
    const h = await connected()
    const fake = h.fake()
    fake.register(NUMBER)
    const { platformMessageId: id } = await h.connector.send(outbound())
    const { platformMessageId: other } = await h.connector.send(outbound({ messageId: 'msg_02' }))
    if (id === undefined || other === undefined) throw new Error('no platform ids')
    fake.ack(id, 1) // server ack: `sent` is already known
    fake.ack(id, 2)
    fake.ack(id, 3)
    fake.ack(other, -1)
    await vi.waitFor(() => expect(h.statuses).toHaveLength(3))
    expect(h.statuses.map((s) => [s.platformMessageId, s.status])).toEqual([
      [id, 'delivered'],
      [id, 'read'],
      [other, 'failed'],
    ])
    expect(h.statuses[2]?.error?.code).toBe('ack_error')
  })
})
