/**
 * Inbound mail over IMAP: connect, open the mailbox, hand over every mail above the last stored
 * UID, then IDLE until the server announces more. The UID is stored only after the daemon took the
 * mail, so a crash re-reads at most the mail in flight (deduplicated by the daemon), and nothing
 * is skipped. One session is one tick of the supervised loop `imap`: a lost connection
 * reconnects with backoff; a refused login is reported in the channel state and retried slowly —
 * it never throws out of the daemon; a mail the daemon could not take is an error of the loop
 * (logged, counted, retried).
 */
import { ImapFlow } from 'imapflow'
import type { Logger } from 'pino'
import type { ChannelState, ConnectorContext, LoopHealthSink } from '../types.js'
import type { BackoffPolicy } from '../shared/backoff.js'
import { SupervisedLoop, type TickContext, type TickOutcome } from '../shared/supervised-loop.js'
import { parseServerUrl, type ServerEndpoint } from './settings.js'

// A server restart is over in seconds; a wrong password or mailbox waits for a person to fix it.
const NETWORK_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 }
const CONFIG_BACKOFF: BackoffPolicy = { baseMs: 60_000, maxMs: 15 * 60_000 }
// RFC 2177: servers may drop an IDLE after 30 min, NAT boxes sooner; re-issuing it also keeps
// traffic under imapflow's 5-minute socket watchdog.
const MAX_IDLE_MS = 4 * 60_000
const CONNECTION_TIMEOUT_MS = 30_000 // TCP + TLS setup; a slower server is effectively down

/**
 * The kv key of the mailbox's UIDVALIDITY (a change means every UID was renumbered).
 * @internal exported for tests
 */
export const KV_UIDVALIDITY = 'imap.uidvalidity'
/** The kv key of the last UID handed over. @internal exported for tests */
export const KV_LAST_UID = 'imap.last_uid'

export interface ImapReceiverOptions {
  url: string
  mailbox: string
  kv: ConnectorContext['kv']
  log: Logger
  onState(state: ChannelState): void
  /** Hands one raw mail to the daemon; a rejection leaves the UID unstored and reconnects. */
  deliver(raw: Buffer): Promise<void>
  /** The health board (the connector context's `loops`). */
  loops?: LoopHealthSink
}

export class ImapReceiver {
  private readonly server: ServerEndpoint
  private readonly stopping = new AbortController()
  private client: ImapFlow | null = null
  private readonly loop: SupervisedLoop

  constructor(private readonly opts: ImapReceiverOptions) {
    this.server = parseServerUrl(opts.url, 'imap')
    this.loop = new SupervisedLoop({
      name: 'imap',
      log: opts.log,
      ...(opts.loops ? { health: opts.loops } : {}),
      signal: this.stopping.signal,
      idleMs: 0,
      backoff: NETWORK_BACKOFF,
      tick: (t) => this.tick(t),
    })
  }

  start(): void {
    this.loop.start()
  }

  async stop(): Promise<void> {
    this.stopping.abort()
    this.client?.close()
    await this.loop.finished
  }

  /** One session, then a pause: longer when a person has to fix something. */
  private async tick(t: TickContext): Promise<TickOutcome> {
    try {
      await this.session(t)
      if (this.stopping.signal.aborted) return 'done'
      this.opts.onState({ state: 'connecting', detail: 'IMAP connection closed, reconnecting' })
      return 'backoff'
    } catch (err) {
      if (this.stopping.signal.aborted) return 'done'
      const problem = describe(err)
      const state = problem.config ? 'error' : 'disconnected'
      this.opts.onState({ state, detail: problem.text })
      // The daemon could not take a mail: our failure, not the server's (the loop logs it).
      if (err instanceof HandOverError) throw err
      this.opts.log.warn({ reason: problem.text }, 'IMAP session ended')
      return problem.config ? { backoff: CONFIG_BACKOFF } : 'backoff'
    }
  }

  /**
   * One connection: resolves when it closes, throws when it fails. It tells the loop it is alive
   * as it works and all through IDLE: a session lasts hours.
   */
  private async session({ alive, keepAlive }: TickContext): Promise<void> {
    const { host, port, secure, user, pass, tlsInsecure } = this.server
    const client = new ImapFlow({
      host,
      port,
      secure,
      auth: { user: user ?? '', pass: pass ?? '' },
      tls: tlsInsecure ? { rejectUnauthorized: false } : undefined,
      logger: false,
      disableAutoIdle: true,
      maxIdleTime: MAX_IDLE_MS,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
    })
    this.client = client
    // Without a listener an 'error' event would throw out of the process.
    client.on('error', (err: Error) => this.opts.log.debug({ reason: err.message }, 'IMAP error'))
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    let dirty = true
    let wake: (() => void) | null = null
    client.on('exists', () => {
      dirty = true
      wake?.()
    })
    try {
      this.opts.onState({ state: 'connecting', detail: `IMAP: connecting to ${host}` })
      await client.connect()
      const mailbox = await client.mailboxOpen(this.opts.mailbox)
      const uidValidity = mailbox.uidValidity.toString()
      await this.checkUidValidity(uidValidity)
      while (client.usable && !this.stopping.signal.aborted) {
        if (dirty) {
          dirty = false
          await this.fetchNew(client, uidValidity, alive)
          continue
        }
        const changed = new Promise<void>((resolve) => (wake = resolve))
        // IDLE runs until the next command (our fetch) breaks it; imapflow re-issues it itself.
        const idling = client.idle().catch(() => undefined)
        const detail = `IMAP: waiting for mail in ${mailbox.path}`
        this.opts.onState({ state: 'connected', detail })
        alive()
        await keepAlive(Promise.race([changed, closed, idling]))
        wake = null
      }
    } finally {
      this.client = null
      client.close()
    }
  }

  private async checkUidValidity(uidValidity: string): Promise<void> {
    const stored = await this.opts.kv.get(KV_UIDVALIDITY)
    if (stored === uidValidity) return
    if (stored !== null) {
      // UIDs were renumbered (mailbox rebuilt or restored): read it all again; the daemon drops
      // what it already has by Message-ID.
      this.opts.log.warn({ mailbox: this.opts.mailbox }, 'IMAP UIDVALIDITY changed, re-reading')
    }
    // last_uid first: a crash between the two writes leaves a mismatch, which re-reads again.
    await this.opts.kv.set(KV_LAST_UID, '0')
    await this.opts.kv.set(KV_UIDVALIDITY, uidValidity)
  }

  /** Delivers every mail above the stored UID, oldest first, storing each UID once delivered. */
  private async fetchNew(client: ImapFlow, uidValidity: string, alive: () => void): Promise<void> {
    const last = Number((await this.opts.kv.get(KV_LAST_UID)) ?? '0')
    // `N:*` always matches the newest mail even when its UID is below N, hence the filter.
    const found = await client.search({ uid: `${last + 1}:*` }, { uid: true })
    const uids = (found || []).filter((uid) => uid > last).sort((a, b) => a - b)
    for (const uid of uids) {
      if (this.stopping.signal.aborted) return
      if (client.mailbox && client.mailbox.uidValidity.toString() !== uidValidity) {
        throw new Error('IMAP UIDVALIDITY changed during the session')
      }
      const mail = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true })
      // A mail expunged between SEARCH and FETCH is gone: nothing to deliver.
      if (mail && mail.source) {
        await this.opts.deliver(mail.source).catch((err: unknown) => {
          throw new HandOverError(uid, err)
        })
      }
      await this.opts.kv.set(KV_LAST_UID, String(uid))
      alive()
    }
  }
}

/** The daemon did not take a mail: the connection is fine, the UID stays unstored. */
class HandOverError extends Error {
  constructor(uid: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(`could not hand over mail UID ${uid}: ${reason}; retrying`, { cause })
  }
}

/**
 * A sentence for the channel state, never with the password. `config` marks what a person has to
 * fix (a refused login, a missing mailbox): it is an error, retried slowly.
 */
function describe(err: unknown): { config: boolean; text: string } {
  if (err instanceof HandOverError) return { config: false, text: `IMAP: ${err.message}` }
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>
  // `2 NO [AUTHENTICATIONFAILED] Authentication failed.` → from the response code on.
  const response =
    typeof e.response === 'string' ? e.response.replace(/^\S+ (NO|BAD) /, '') : undefined
  const message = err instanceof Error ? err.message : String(err)
  if (e.authenticationFailed === true) {
    const code = typeof e.serverResponseCode === 'string' ? e.serverResponseCode : undefined
    return { config: true, text: `IMAP login failed: ${response ?? code ?? message}` }
  }
  if (e.mailboxMissing === true) {
    return { config: true, text: `IMAP mailbox does not exist: ${response ?? message}` }
  }
  const code = typeof e.code === 'string' ? `${e.code}: ` : ''
  return { config: false, text: `IMAP connection failed: ${code}${response ?? message}` }
}
