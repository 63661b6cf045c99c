/**
 * Secrets never appear in logs (DESIGN §9, STYLE: "a Telegram URL holds the token"). The real
 * daemon runs at log level `trace` with a secret in every place a config can hold one — a
 * plaintext admin key, bot and access tokens, channel and app secrets, passwords inside SMTP and
 * IMAP URLs, a VAPID private key, webhook secrets — while every platform refuses it: a fake that
 * answers 401 to everything, ports where nothing listens, an SMTP server and an IMAP server that
 * refuse the login, a relay and an app-webhook target that fail. Sends go out on each channel
 * and fail; requests come in with wrong keys and signatures; a broken config is reloaded. Then
 * the log file is searched for every secret (also URL-encoded). The suites' other logs are
 * searched by each suite and, all together, by the global teardown.
 */
import { createHash, createHmac, createECDH, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
} from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import webpush from 'web-push'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js'
import { startDaemon } from './helpers/daemon.js'
import { findSecretsInLogs, logDir, registerSecrets } from './helpers/logs.js'

const s = (label: string) => `${label}-${randomBytes(12).toString('hex')}`
const vapid = webpush.generateVAPIDKeys()
const SECRETS = {
  adminKey: s('admin-key'),
  appKey: s('app-key'),
  telegram: `${700000 + Math.floor(Math.random() * 99999)}:${randomBytes(17).toString('hex')}`,
  telegram2: `${800000 + Math.floor(Math.random() * 99999)}:${randomBytes(17).toString('hex')}`,
  lineToken: s('line-token'),
  lineSecret: s('line-secret'),
  graphToken: s('graph-token'),
  graphAppSecret: s('graph-app'),
  graphVerify: s('graph-verify'),
  smtpPass: s('smtp-pass'),
  imapPass: s('imap-pass'),
  pushSecret: s('push-secret'),
  vapidPrivate: vapid.privateKey,
  relaySecret: s('relay-secret'),
  eventsSecret: s('events-secret'),
}

let hostile: Server
let hostileUrl = ''
let imap: TcpServer
let smtp: SmtpSink
let dir: string
const logFile = () => join(logDir(), 'secrets-daemon.log')

/** A platform that refuses everything, in each platform's own words. */
function refuseAll(
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
) {
  req.resume()
  const url = req.url ?? ''
  const json = (status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  if (url.startsWith('/bot'))
    return json(401, { ok: false, error_code: 401, description: 'Unauthorized' })
  if (url.startsWith('/v2/'))
    return json(401, {
      message:
        'Authentication failed. Confirm that the access token in the authorization header is valid.',
    })
  if (/^\/v\d+\.\d+\//.test(url))
    return json(401, {
      error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 },
    })
  if (url.startsWith('/events')) return json(500, { error: 'down' })
  if (url.startsWith('/push')) return json(403, { reason: 'VapidPkHashMismatch' })
  return json(401, { error: 'bad signature' })
}

/** An IMAP server that refuses every login. */
function refusingImap(): TcpServer {
  return createTcpServer((socket) => {
    socket.on('error', () => socket.destroy())
    socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n')
    let buf = ''
    socket.on('data', (c) => {
      buf += c.toString()
      let i
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 2)
        const [tag, cmd = ''] = line.split(' ')
        if (/^(LOGIN|AUTHENTICATE)$/i.test(cmd))
          socket.write(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n`)
        else if (/^CAPABILITY$/i.test(cmd))
          socket.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`)
        else socket.write(`${tag} OK done\r\n`)
      }
    })
  })
}

function config(closedPort: number): string {
  return `server:
  listen: 127.0.0.1:0
  public_url: http://127.0.0.1:8080
auth:
  keys:
    - { id: ops, role: admin, key: "\${SECRETS_ADMIN_KEY}" }
    - { id: shop, role: app, sha256: "${createHash('sha256').update(SECRETS.appKey).digest('hex')}" }
security:
  allow_private_urls: true
store:
  sqlite: ${join(dir, 'data/omnigate.db')}
dispatcher:
  backoff_base: 100ms
  backoff_max: 300ms
  send_timeout: 2s
channels:
  sms:
    type: webhook
    url: ${hostileUrl}/relay?token=${SECRETS.relaySecret}
    secret: ${SECRETS.relaySecret}
    address: phone
  tg:
    type: telegram
    token: "${SECRETS.telegram}"
    api_root: ${hostileUrl}
  tg-down:
    type: telegram
    token: "${SECRETS.telegram2}"
    api_root: http://127.0.0.1:${closedPort}
    timeout: 1s
  line:
    type: line
    channel_access_token: ${SECRETS.lineToken}
    channel_secret: ${SECRETS.lineSecret}
    api_base_url: ${hostileUrl}
  wa:
    type: whatsapp-cloud
    phone_number_id: "1234567890"
    access_token: ${SECRETS.graphToken}
    app_secret: ${SECRETS.graphAppSecret}
    verify_token: ${SECRETS.graphVerify}
    graph_url: http://127.0.0.1:${closedPort}
    timeout: 1s
  mail:
    type: email
    smtp: { url: "smtp://mailer:${SECRETS.smtpPass}@127.0.0.1:${smtp.port}" }
    imap: { url: "imap://mailer:${SECRETS.imapPass}@127.0.0.1:${(imap.address() as AddressInfo).port}" }
    senders: [support@example.com]
  mail-down:
    type: email
    smtp: { url: "smtp://mailer:${SECRETS.smtpPass}@127.0.0.1:${closedPort}" }
    senders: [support@example.com]
  push:
    type: webpush
    secret: ${SECRETS.pushSecret}
    vapid:
      public_key: ${vapid.publicKey}
      private_key: ${SECRETS.vapidPrivate}
      subject: mailto:ops@example.com
webhooks:
  - url: ${hostileUrl}/events?key=${SECRETS.eventsSecret}
    secret: ${SECRETS.eventsSecret}
    events: ["*"]
`
}

beforeAll(async () => {
  registerSecrets('secrets-in-logs', Object.values(SECRETS))
  dir = mkdtempSync(join(tmpdir(), 'omnigate-secrets-'))
  hostile = createServer(refuseAll)
  hostile.listen(0, '127.0.0.1')
  await once(hostile, 'listening')
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`
  imap = refusingImap()
  imap.listen(0, '127.0.0.1')
  await once(imap, 'listening')
  // The right user, the wrong password: the login is refused.
  smtp = await startSmtpSink({ auth: { user: 'mailer', pass: 'not-the-configured-one' } })
})

afterAll(async () => {
  hostile?.closeAllConnections()
  hostile?.close()
  imap?.close()
  await smtp?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('secrets in logs', () => {
  it('the search finds a secret, plain or URL-encoded (so "none found" means something)', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'omnigate-grep-'))
    try {
      const planted = 'pl@nted/secret=1'
      writeFileSync(
        join(scratch, 'a.log'),
        `{"msg":"ok"}\n{"url":"http://x/?t=${encodeURIComponent(planted)}"}\n`,
      )
      writeFileSync(join(scratch, 'b.log'), `{"token":"${planted}"}\n`)
      const found = findSecretsInLogs(scratch, [planted, 'absent-secret'])
      expect(found.map((f) => [f.file, f.line]).sort()).toEqual([
        ['a.log', 2],
        ['b.log', 1],
      ])
      expect(JSON.stringify(found)).not.toContain(planted)
    } finally {
      rmSync(scratch, { recursive: true, force: true })
    }
  })

  it('none of the configured secrets is logged while every platform refuses them', async () => {
    // A port where nothing listens: bound and released.
    const probe = createTcpServer().listen(0, '127.0.0.1')
    await once(probe, 'listening')
    const closedPort = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    const file = join(dir, 'gateway.config.yaml')
    writeFileSync(file, config(closedPort))
    const d = await startDaemon({
      config: file,
      logFile: logFile(),
      env: { OMNIGATE_LOG_LEVEL: 'trace', SECRETS_ADMIN_KEY: SECRETS.adminKey },
    })
    const admin = {
      authorization: `Bearer ${SECRETS.adminKey}`,
      'content-type': 'application/json',
    }
    const call = async (method: string, path: string, body?: unknown, headers = admin) => {
      const res = await fetch(`${d.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      return { status: res.status, body: (await res.json().catch(() => null)) as any }
    }
    try {
      // Sends that the platforms will refuse.
      const sends = [
        { to: { channel: 'sms', address: '+491701234567' }, text: 'hi' },
        { to: { channel: 'line', address: `U${'a'.repeat(32)}` }, text: 'hi' },
        {
          to: { channel: 'mail', address: 'ana@example.com' },
          text: 'hi',
          email: { subject: 'Hi' },
        },
        {
          to: { channel: 'mail-down', address: 'bo@example.com' },
          text: 'hi',
          email: { subject: 'Hi' },
        },
      ]
      for (const body of sends) expect((await call('POST', '/v1/messages', body)).status).toBe(202)
      const ecdh = createECDH('prime256v1')
      const sub = await call(
        'POST',
        '/v1/channels/push/subscriptions',
        {
          external_id: 'u1',
          user_hash: createHmac('sha256', SECRETS.pushSecret).update('u1').digest('hex'),
          subscription: {
            endpoint: `${hostileUrl}/push/abc`,
            keys: {
              p256dh: ecdh.generateKeys().toString('base64url'),
              auth: randomBytes(16).toString('base64url'),
            },
          },
        },
        { 'content-type': 'application/json' } as typeof admin,
      )
      expect(sub.status).toBe(201)
      expect(
        (
          await call('POST', '/v1/messages', {
            contact_id: sub.body.contact_id,
            channel: 'push',
            text: 'hi',
          })
        ).status,
      ).toBe(202)
      // Wrong keys, wrong signatures, a wrong verify token, a hook without its signature.
      const noAuth = { 'content-type': 'application/json' } as typeof admin
      await call('GET', '/v1/contacts', undefined, {
        ...admin,
        authorization: `Bearer ${SECRETS.adminKey}x`,
      })
      await call(
        'POST',
        '/v1/channels/sms/inbound',
        { id: '1', from: { address: '+491700000000' } },
        {
          ...noAuth,
          'x-omnigate-signature': `sha256=${'0'.repeat(64)}`,
        } as typeof admin,
      )
      await call('POST', '/hooks/line/line', { events: [] }, {
        ...noAuth,
        'x-line-signature': 'AAAA',
      } as typeof admin)
      await call(
        'GET',
        `/hooks/whatsapp-cloud/wa?hub.mode=subscribe&hub.verify_token=${SECRETS.graphVerify}x&hub.challenge=1`,
        undefined,
        noAuth,
      )
      // A broken config, reloaded: the error is reported, the running config stays.
      const good = readFileSync(file, 'utf8')
      writeFileSync(file, good.replace('address: phone', 'address: telephone'))
      expect((await call('POST', '/v1/admin/reload')).body.error?.code).toBe('config_invalid')
      writeFileSync(file, good)
      // Let the retries and reconnects run and log.
      await new Promise((r) => setTimeout(r, 4000))
      const channels = (await call('GET', '/v1/channels')).body.items as {
        name: string
        state: string
      }[]
      expect(channels.filter((c) => c.state === 'connected').map((c) => c.name)).not.toContain('tg')
    } finally {
      expect(await d.stop()).toBe(0)
    }
    const log = readFileSync(logFile(), 'utf8')
    // The daemon did log each refusal (else this test proves nothing).
    for (const marker of [
      /"channel":"tg","channel_type":"telegram","state":"error"/,
      /"channel":"tg-down".*getUpdates/,
      /"channel":"line","channel_type":"line","state":"error"/,
      /"channel":"wa","channel_type":"whatsapp-cloud","state":"disconnected"/,
      /"channel":"mail","channel_type":"email","state":"error"/,
      /"channel":"mail-down".*"code":"smtp_connection"/,
      /"channel":"sms".*"code":"http_401"/,
      /"channel":"push".*"code":"vapid_rejected"/,
      /"msg":"webhook not accepted"/,
      /"msg":"config reload failed; the running config is kept"/,
    ])
      expect(log).toMatch(marker)
    expect(findSecretsInLogs(logDir(), Object.values(SECRETS))).toEqual([])
  })
})
