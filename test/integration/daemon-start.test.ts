/**
 * What a daemon start logs, read as a log collector reads it: the real `startDaemon` with seven
 * channels (five on local platform fakes, two disabled by a missing variable) at log level trace.
 * Every line is one JSON object whose keys are unique — a key written twice (a child logger given
 * a second `component`) parses, but one of the values silently wins — and each disabled channel is
 * logged once, not again among the config warnings.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDaemon } from '../../src/gateway/daemon.js'
import { createLogger } from '../../src/gateway/log.js'
import { startGraphFake, type GraphFake } from '../fakes/graph-api.js'
import { startLineFake, type LineFake } from '../fakes/line-api.js'
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js'
import { startTelegramFake, type TelegramFake } from '../fakes/telegram-api.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'

/** The top-level keys of one JSON object's text, in order, duplicates kept. */
function rawTopLevelKeys(text: string): string[] {
  const keys: string[] = []
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      const isKey = depth === 1 && /^\s*:/.test(text.slice(j + 1))
      if (isKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string)
      i = j
    } else if (ch === '{' || ch === '[') depth++
    else if (ch === '}' || ch === ']') depth--
  }
  return keys
}

const duplicates = (keys: string[]): string[] => keys.filter((k, i) => keys.indexOf(k) !== i)

let dir: string
let tg: TelegramFake
let line: LineFake
let graph: GraphFake
let smtp: SmtpSink
let relay: WebhookReceiver
let lines: string[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'omnigate-start-'))
  ;[tg, line, graph, smtp, relay] = await Promise.all([
    startTelegramFake(),
    startLineFake(),
    startGraphFake(),
    startSmtpSink(),
    startWebhookReceiver({ secret: 'relay-secret' }),
  ])
  const file = join(dir, 'gateway.config.yaml')
  writeFileSync(
    file,
    `server:
  listen: 127.0.0.1:0
store:
  sqlite: ${join(dir, 'data/omnigate.db')}
auth:
  keys:
    - { id: ops, role: admin, key: "\${START_TEST_ADMIN_KEY}" }
channels:
  tg:
    type: telegram
    token: "${tg.token}"
    api_root: ${tg.apiRoot}
  line:
    type: line
    channel_access_token: ${line.channelAccessToken}
    channel_secret: line-secret
    api_base_url: ${line.baseUrl}
  wa:
    type: whatsapp-cloud
    phone_number_id: "${graph.phoneNumberId}"
    access_token: ${graph.accessToken}
    app_secret: app-secret
    verify_token: verify
    graph_url: ${graph.graphUrl}
  mail:
    type: email
    smtp: { url: "${smtp.url}" }
    senders: [support@example.com]
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
  off-tg:
    type: telegram
    token: \${START_TEST_MISSING_TOKEN}
  off-sms:
    type: webhook
    url: \${START_TEST_MISSING_URL}
    secret: s
`,
  )
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
      done()
    },
  })
  const log = createLogger({ level: 'trace', destination: sink })
  const d = await startDaemon({ configFile: file, log, dataDir: join(dir, 'data') })
  await d.gateway.svc.channels.settled()
  await d.stop()
  await new Promise((r) => setImmediate(r))
})

afterAll(async () => {
  await Promise.all([tg, line, graph, smtp, relay].map((f) => f?.close()))
  rmSync(dir, { recursive: true, force: true })
  lines = []
})

describe('a daemon start, logged as JSON', () => {
  it('writes one JSON object a line, none with a key twice', () => {
    expect(lines.length).toBeGreaterThan(10)
    const channelLines = lines.filter((l) => l.includes('"component":"channel"'))
    // Lines from the connectors themselves are among them (else this proves little).
    expect(
      new Set(channelLines.map((l) => (JSON.parse(l) as { channel: string }).channel)),
    ).toEqual(new Set(['tg', 'line', 'wa', 'mail', 'sms', 'off-tg', 'off-sms']))
    for (const l of lines) {
      expect(JSON.parse(l)).toBeTypeOf('object')
      expect({ line: l, duplicates: duplicates(rawTopLevelKeys(l)) }).toEqual({
        line: l,
        duplicates: [],
      })
    }
  })

  it('names each channel line by component, channel and channel_type once', () => {
    for (const l of lines.filter((x) => x.includes('"component":"channel"'))) {
      const o = JSON.parse(l) as Record<string, unknown>
      expect(typeof o.channel).toBe('string')
      expect(o.channel_type).toMatch(/^(telegram|line|whatsapp-cloud|email|webhook)$/)
    }
  })

  it('logs each disabled channel once, and nothing twice', () => {
    const about = (name: string) =>
      lines.filter((l) => l.includes(`"channel":"${name}"`) || l.includes(`channels.${name}:`))
    for (const name of ['off-tg', 'off-sms']) {
      expect(about(name)).toHaveLength(1)
      expect(JSON.parse(about(name)[0] ?? '{}')).toMatchObject({
        level: 40,
        component: 'channel',
        channel: name,
        msg: 'channel disabled',
      })
    }
    // The missing admin key is still said, with what to do about it.
    const noKey = lines.filter((l) => l.includes('no API key is active'))
    expect(noKey).toHaveLength(1)
    expect(noKey[0]).toMatch(/omnigate keys new --id you --role admin.*START_TEST_ADMIN_KEY/)
    const messages = lines.map((l) => l.replace(/"time":"[^"]*",/, ''))
    expect(duplicates(messages)).toEqual([])
  })
})
