/**
 * The email channel across restarts, against a real Dovecot and an SMTP sink on 127.0.0.1: mail
 * that arrives while the daemon is down is read on the next start, and nothing is stored twice —
 * after a graceful stop of the in-process gateway, and after a `kill -9` of the real daemon
 * (`node bin/omnigate.js serve`) while mails are arriving.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { startDovecot, type DovecotServer } from '../fakes/dovecot.js'
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js'
import { startGateway } from '../helpers/harness.js'

const ROOT = new URL('../../', import.meta.url).pathname
const BIN = join(ROOT, 'bin/omnigate.js')
const KEY = 'email-restart-admin-key-0123456789'
const CUSTOMER = 'ana.lopez@customer.example'
const WAIT_MS = 15_000 // only reached when a test fails

let dovecot: DovecotServer
let sink: SmtpSink

beforeAll(async () => {
  ;[dovecot, sink] = await Promise.all([startDovecot(), startSmtpSink()])
})
afterAll(async () => {
  await Promise.all([dovecot?.stop(), sink?.close()])
})

function channelYaml(mailbox: string): string {
  return `channels:
  mail:
    type: email
    smtp: { url: "${sink.url}" }
    imap: { url: "${dovecot.url}", mailbox: ${mailbox} }
    senders: [support@example.com]
`
}

function mail(n: number, o: { messageId?: boolean } = {}): string {
  return [
    `From: "Ana López" <${CUSTOMER}>`,
    'To: support@example.com',
    `Subject: Question ${n}`,
    ...(o.messageId === false ? [] : [`Message-ID: <q${n}@customer.example>`]),
    `Date: Tue, 04 Mar 2025 10:${String(n).padStart(2, '0')}:00 +0000`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `question ${n}`,
    '',
  ].join('\r\n')
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)} after ${WAIT_MS} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Every inbound text of the customer, over all their threads, oldest first. */
type Api = (path: string) => Promise<{ status: number; body: any }>
async function inboundTexts(get: Api): Promise<string[]> {
  const contacts = (await get(`/v1/contacts?q=${CUSTOMER}`)).body.items as { id: string }[]
  const texts: string[] = []
  for (const c of contacts) {
    const timeline = await get(`/v1/contacts/${c.id}/timeline?limit=200`)
    for (const item of timeline.body.items as {
      kind: string
      message?: { direction: string; text: string }
    }[]) {
      if (item.kind === 'message' && item.message?.direction === 'in') texts.push(item.message.text)
    }
  }
  return texts
}

const sorted = (texts: string[]) =>
  [...texts].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))

// The two tests use their own mailboxes and data folders: they run side by side.
describe.concurrent('email across restarts', () => {
  it('graceful stop between two mails: both stored once, the queued send goes out once', async ({
    expect,
  }) => {
    const mailbox = 'Graceful'
    await dovecot.withClient((client) => client.mailboxCreate(mailbox))
    const t1 = await startGateway(channelYaml(mailbox))
    const get1: Api = (path) => t1.call('GET', path)
    await until(
      () => t1.call('GET', '/v1/channels'),
      (r) => r.body.items[0].state === 'connected',
    )
    await dovecot.append(mail(1), mailbox)
    await until(
      () => inboundTexts(get1),
      (texts) => texts.length === 1,
    )
    // Accepted while the dispatcher is off: on disk, not sent yet.
    const sent = await t1.call('POST', '/v1/messages', {
      body: { to: { channel: 'mail', address: CUSTOMER }, text: 'we are on it' },
    })
    expect(sent.status).toBe(202)
    await t1.stop()

    // While it is down: the next mail, and the first one again under a new UID (a client that
    // saved it twice) — same Message-ID.
    await dovecot.append(mail(2), mailbox)
    await dovecot.append(mail(1), mailbox)
    const before = sink.received.length
    const t2 = await startGateway(channelYaml(mailbox), { dir: t1.dir })
    try {
      const get2: Api = (path) => t2.call('GET', path)
      // The dispatcher holds jobs of a channel that is still connecting for 5 s: start it once
      // IMAP is up, so the test does not wait for that.
      await until(
        () => get2('/v1/channels'),
        (r) => r.body.items[0].state === 'connected',
      )
      t2.gw.outbox.start()
      await until(
        () => inboundTexts(get2),
        (texts) => texts.length >= 2,
      )
      await until(
        () => t2.call('GET', `/v1/messages/${sent.body.id}`),
        (r) => r.body.status === 'sent',
      )
      // A mail after the restart still arrives by IDLE, after everything that came before it.
      await dovecot.append(mail(3), mailbox)
      await until(
        () => inboundTexts(get2),
        (texts) => texts.length >= 3,
      )
      expect(sorted(await inboundTexts(get2))).toEqual(['question 1', 'question 2', 'question 3'])
      // The UID is stored once the mail's commit is on disk, a moment after the API shows it.
      await until(
        () => t2.gw.store.kv.get('channel:mail', 'imap.last_uid'),
        (uid) => uid === '4',
      )
      const mine = sink.received
        .slice(before)
        .filter((m) => m.parsed.text?.includes('we are on it'))
      expect(mine).toHaveLength(1)
    } finally {
      await t2.close()
    }
  })

  it('kill -9 of the real daemon while mails arrive: after a restart each is stored once', async ({
    expect,
  }) => {
    const mailbox = 'Killed'
    await dovecot.withClient((client) => client.mailboxCreate(mailbox))
    const dir = mkdtempSync(join(tmpdir(), 'omnigate-email-kill-'))
    const config = join(dir, 'gateway.config.yaml')
    writeFileSync(
      config,
      `server:
  listen: 127.0.0.1:0
auth:
  keys:
    - { id: ops, role: admin, sha256: "${createHash('sha256').update(KEY).digest('hex')}" }
store:
  sqlite: ${join(dir, 'data/omnigate.db')}
${channelYaml(mailbox)}`,
    )
    const total = 12
    // Two mails without a Message-ID: they are recognised by a hash of their bytes.
    const raw = Array.from({ length: total }, (_, i) => mail(i + 1, { messageId: i % 6 !== 5 }))
    let daemon = await startDaemon(config)
    try {
      const get = api(daemon.port)
      await until(
        () => get('/v1/channels'),
        (r) => r.body.items?.[0]?.state === 'connected',
      )
      await dovecot.append(raw[0]!, mailbox)
      await until(
        () => inboundTexts(get),
        (texts) => texts.length === 1,
      )
      // The rest arrive back to back; the daemon dies in the middle of taking them.
      const appending = (async () => {
        for (const r of raw.slice(1)) await dovecot.append(r, mailbox)
      })()
      await until(
        () => inboundTexts(get),
        (texts) => texts.length >= 3,
      )
      daemon.proc.kill('SIGKILL')
      await exited(daemon.proc)
      await appending

      daemon = await startDaemon(config)
      const get2 = api(daemon.port)
      const texts = await until(
        () => inboundTexts(get2),
        (t) => t.length >= total,
      )
      const want = raw.map((_, i) => `question ${i + 1}`)
      expect(sorted(texts)).toEqual(sorted(want))
      // Read again from the start, the mailbox adds nothing: every mail is known.
      daemon.proc.kill('SIGTERM')
      expect(await exited(daemon.proc)).toBe(0)
      daemon = await startDaemon(config)
      const get3 = api(daemon.port)
      await until(
        () => get3('/v1/channels'),
        (r) => r.body.items?.[0]?.state === 'connected',
      )
      expect(sorted(await inboundTexts(get3))).toEqual(sorted(want))
    } finally {
      daemon.proc.kill('SIGKILL')
      await exited(daemon.proc)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

interface Daemon {
  proc: ChildProcess
  port: number
}

function api(port: number): Api {
  return async (path) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      headers: { authorization: `Bearer ${KEY}` },
    })
    return { status: res.status, body: await res.json() }
  }
}

async function startDaemon(config: string): Promise<Daemon> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log: string[] = []
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`daemon did not start:\n${log.join('')}`)),
      WAIT_MS,
    )
    proc.stdout?.on('data', (b: Buffer) => {
      log.push(b.toString())
      const m = /"listen":"127\.0\.0\.1:(\d+)"/.exec(log.join(''))
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    proc.stderr?.on('data', (b: Buffer) => log.push(b.toString()))
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`daemon exited with ${code}:\n${log.join('')}`))
    })
  })
  proc.removeAllListeners('exit')
  return { proc, port }
}

function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve(p.exitCode)
    else p.once('exit', (code) => resolve(code))
  })
}
