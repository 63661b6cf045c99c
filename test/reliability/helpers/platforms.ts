/**
 * Every channel type but WhatsApp Web, each against its local fake (test/fakes/), with fresh
 * random secrets: the config block for them, the secrets (to register for the log grep), and the
 * fakes to close. Used by the bad-input and security suites, so every route — platform hooks
 * included — has a live channel behind it.
 */
import { randomBytes } from 'node:crypto'
import { startGraphFake, type GraphFake } from '../../fakes/graph-api.js'
import { startLineFake, type LineFake } from '../../fakes/line-api.js'
import { startSmtpSink, type SmtpSink } from '../../fakes/smtp-sink.js'
import { startTelegramFake, type TelegramFake } from '../../fakes/telegram-api.js'

const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`

export interface Platforms {
  /** The `channels:` block (without the key itself): sms, push, site, tg, line, wa, mail. */
  channels: string
  secrets: {
    sms: string
    push: string
    webchat: string
    telegram: string
    lineToken: string
    lineSecret: string
    graphToken: string
    graphAppSecret: string
    graphVerify: string
    smtpPass: string
  }
  telegram: TelegramFake
  line: LineFake
  graph: GraphFake
  smtp: SmtpSink
  close(): Promise<void>
}

export async function startPlatforms(relayUrl = 'http://127.0.0.1:9/relay'): Promise<Platforms> {
  const s = {
    sms: secret('sms'),
    push: secret('push'),
    webchat: secret('webchat'),
    telegram: `${100000 + Math.floor(Math.random() * 899999)}:${randomBytes(16).toString('hex')}`,
    lineToken: secret('line-token'),
    lineSecret: secret('line-secret'),
    graphToken: secret('graph-token'),
    graphAppSecret: secret('graph-app'),
    graphVerify: secret('graph-verify'),
    smtpPass: secret('smtp-pass'),
  }
  const telegram = await startTelegramFake(s.telegram)
  const line = await startLineFake(s.lineToken)
  const graph = await startGraphFake({ accessToken: s.graphToken })
  const smtp = await startSmtpSink({ auth: { user: 'mailer', pass: s.smtpPass } })
  const channels = `channels:
  sms:
    type: webhook
    url: ${relayUrl}
    secret: ${s.sms}
    address: phone
  push:
    type: webpush
    secret: ${s.push}
  site:
    type: webchat
    secret: ${s.webchat}
    allowed_origins: [https://shop.example]
    fallback: { push: push }
  tg:
    type: telegram
    token: "${s.telegram}"
    api_root: ${telegram.apiRoot}
  line:
    type: line
    channel_access_token: ${s.lineToken}
    channel_secret: ${s.lineSecret}
    api_base_url: ${line.baseUrl}
  wa:
    type: whatsapp-cloud
    phone_number_id: "${graph.phoneNumberId}"
    access_token: ${s.graphToken}
    app_secret: ${s.graphAppSecret}
    verify_token: ${s.graphVerify}
    graph_url: ${graph.graphUrl}
  mail:
    type: email
    smtp: { url: "smtp://mailer:${s.smtpPass}@127.0.0.1:${smtp.port}" }
    senders: [support@example.com]
`
  return {
    channels,
    secrets: s,
    telegram,
    line,
    graph,
    smtp,
    async close() {
      await Promise.all([telegram.close(), line.close(), graph.close(), smtp.close()])
    },
  }
}
