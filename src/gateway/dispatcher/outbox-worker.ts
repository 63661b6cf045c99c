/**
 * The dispatcher (DESIGN §2): leases due outbox jobs in batches, paces them to each channel's and
 * each recipient's rate, calls `connector.send()` and records the outcome by `SendError` kind:
 * `retry` backs off (honouring Retry-After) up to `max_attempts`, `unreachable` fails the message and
 * marks the identity, `rejected` fails it. A crash leaves leased jobs to expire and come due again,
 * so nothing is stranded; statuses only move forward. The loop is supervised: a store error is
 * logged, counted and backed off, and leasing goes on. A job whose message cannot be read fails
 * with `corrupt_record` instead of coming back after every lease.
 */
import type { Logger } from 'pino'
import { SupervisedLoop, type TickOutcome } from '../../connectors/shared/supervised-loop.js'
import { SendError, type Connector, type OutboundPayload } from '../../connectors/types.js'
import {
  CorruptRecord,
  type ContactRecord,
  type MessageError,
  type OutboxJob,
} from '../../store/types.js'
import { storeFault } from '../../store/store-fault.js'
import { cancelledBulks } from '../bulk/cancelled.js'
import { statusEvent } from '../inbound.js'
import type { Services } from '../services.js'
import { retryDelay } from './backoff.js'
import { Pacer, SlotCalendar } from './rate-limiter.js'
import { loopLag } from './loop-lag.js'
import { sendJitterMs } from './send-jitter.js'
import { WireSpacing, type StartedSend } from './wire-spacing.js'

/**
 * Platforms count sends where they arrive, and ours reach them a few ms early or late: sends are
 * planned at 98 % of a limit, so the receiving end stays under it and within 5 % of it (DESIGN §8,
 * P6). The actual sends are spaced by `WIRE_MARGIN_MS` below, which this plan leaves room for.
 */
const RATE_HEADROOM = 0.98
/**
 * Each limit's one-second window of sends, as written, is kept this much longer (what the 2 %
 * headroom gives at any rate), plus the event loop's recent lag (loop-lag.ts): the margin for what
 * moves our sends closer together on their way to the receiver's count.
 */
const WIRE_MARGIN_MS = 20
/**
 * A send that counts against one handed over but not written yet (a new connection) waits for
 * that write at most this long: a connect on loopback takes < 1 ms, over the internet with TLS a
 * few hundred. A connector that cannot report its writes is waited for once, for its first send.
 */
const WRITE_WAIT_MAX_MS = 1000

interface Pacing {
  /** The channel's and each recipient's limit as configured (sends per second). */
  chLimit: number
  rcptLimit: number
  /** Strict: spaces actual sends on the channel. */
  ch: Pacer
  /** Strict: spaces actual sends to one recipient. */
  rcpt: Pacer
  /** Plans due times of jobs that wait in the store. */
  calendar: SlotCalendar
  rcptPlan: Pacer
}

/** Jobs are held in memory for their rate slot at most this long; later slots go back to the store. */
const HOLD_MAX_MS = 1000
/** A channel that is not connected is retried this much later, without counting an attempt. */
// Short, so a channel that (re)connects starts sending within a second; the release writes are
// batched per tick, so holding a queue this way costs one transaction a second.
const NOT_READY_DELAY_MS = 1000
/** Upper bound on the idle poll, so jobs made due by another path (lease expiry) are seen. */
const IDLE_POLL_MS = 500
/** Outcomes that could not be written (store locked, disk full) are tried again this much later. */
const FLUSH_RETRY_MS = 500

export class OutboxWorker {
  private readonly inflight = new Set<Promise<void>>()
  private readonly stopCtl = new AbortController()
  /** Due times planned for jobs released to wait for their rate slot (job id → ms). */
  private readonly planned = new Map<number, number>()
  private readonly pacings = new Map<string, Pacing>()
  /** When sends actually left, per channel (`c:`) and recipient (`r:`). */
  private readonly lag = loopLag() // probing from now, so the first sends see the load too
  private readonly spacing = new WireSpacing(() => WIRE_MARGIN_MS + this.lag.current())
  /** Connectors seen to finish a send without reporting its write: never held back for it. */
  private readonly silent = new WeakSet<Connector>()
  /** Outcome writes of this tick, committed together (one fsync) by `flush()`. */
  private pending: (() => void)[] = []
  private readonly loop: SupervisedLoop
  /** Every slot was taken at the last tick: a finishing send wakes the loop. */
  private saturated = false
  /** A flush that failed on a store fault, to be tried again. */
  private flushRetry: NodeJS.Timeout | null = null
  private readonly log: Logger

  constructor(private readonly svc: Services) {
    this.log = svc.log.child({ component: 'outbox' })
    this.loop = new SupervisedLoop({
      name: 'outbox',
      log: this.log,
      health: svc.health,
      idleMs: IDLE_POLL_MS,
      tick: () => this.tick(),
    })
  }

  get running(): boolean {
    return this.loop.active && !this.stopCtl.signal.aborted
  }

  start(): void {
    this.loop.start()
  }

  /** New work may be due: stop waiting. */
  kick(): void {
    this.loop.kick()
  }

  /** Stops leasing, lets in-flight sends finish for up to `graceMs`, then aborts them. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopCtl.signal.aborted) return
    const grace = setTimeout(() => this.stopCtl.abort(), graceMs)
    await this.loop.stop()
    await Promise.allSettled([...this.inflight])
    clearTimeout(grace)
    this.stopCtl.abort()
    this.flush()
    if (this.flushRetry) clearTimeout(this.flushRetry)
  }

  /**
   * One lease: the due jobs that fit the free slots start (their sends run on, tracked), and the
   * loop yields before leasing more. A store error throws out of here: the loop backs off.
   */
  private tick(): TickOutcome {
    const cfg = this.svc.config().dispatcher
    const free = cfg.concurrency - this.inflight.size
    this.saturated = free <= 0
    if (this.saturated) return { waitMs: IDLE_POLL_MS }
    let jobs: OutboxJob[]
    let due: number | null = null
    try {
      jobs = this.svc.store.outbox.lease(Date.now(), Math.min(cfg.batch, free), cfg.lease_ms)
      if (jobs.length === 0) due = this.svc.store.outbox.nextDue()
    } catch (err) {
      this.svc.storeFaults.report(err, 'leasing outbox jobs')
      throw err
    }
    if (jobs.length === 0) {
      return {
        waitMs: due === null ? IDLE_POLL_MS : Math.min(IDLE_POLL_MS, Math.max(0, due - Date.now())),
      }
    }
    for (const job of jobs) this.track(job, this.process(job))
    // Let the sends just started make progress before leasing more.
    return 'busy'
  }

  /**
   * Defers an outcome write to the end of this tick, where all of them share one transaction. A
   * crash before the flush only repeats a send (at least once), it never loses a message.
   */
  private write(fn: () => void): void {
    this.pending.push(fn)
    if (this.pending.length === 1) setImmediate(() => this.flush())
  }

  private flush(): void {
    if (this.flushRetry) clearTimeout(this.flushRetry)
    this.flushRetry = null
    const batch = this.pending
    this.pending = []
    if (batch.length === 0) return
    try {
      this.svc.store.batch(() => {
        for (const fn of batch) {
          try {
            fn()
          } catch (err) {
            // SQLite may have rolled the whole transaction back: the batch fails as one.
            if (storeFault(err)) throw err
            this.log.error({ err }, 'recording a send outcome failed')
          }
        }
      })
    } catch (err) {
      if (
        this.svc.storeFaults.report(err, 'recording send outcomes') &&
        !this.stopCtl.signal.aborted
      ) {
        // Tried again as a whole; meanwhile (or after a crash) the jobs stay leased and come due
        // again when the lease expires: sent again, not lost.
        this.pending = [...batch, ...this.pending]
        this.flushRetry = setTimeout(() => this.flush(), FLUSH_RETRY_MS)
        return
      }
      // The jobs stay leased and come due again when the lease expires: sent again, not lost.
      this.log.error({ err, count: batch.length }, 'committing send outcomes failed')
    }
    // A retry or release may now be due sooner than the loop's current sleep.
    this.kick()
  }

  /**
   * A job that crashes (a bug, a store error while building it) counts an attempt like a failed
   * send, so it backs off and fails after `max_attempts` instead of coming back after every lease.
   */
  private track(job: OutboxJob, p: Promise<void>): void {
    const t = p
      .catch((err: unknown) => {
        this.log.error({ err, message_id: job.messageId }, 'job crashed')
        const msg = err instanceof Error ? err.message : String(err)
        this.onError(job, new SendError('retry', 'internal', `the job crashed: ${msg}`), 0, false)
      })
      .finally(() => {
        this.inflight.delete(t)
        if (this.saturated) this.kick()
      })
    this.inflight.add(t)
  }

  /**
   * A busy event loop can wake a held send late and the next one on time, and a send on a new
   * connection is written only after the connect: wait until the channel's and the recipient's
   * last sends, as written, leave room for this one (wire-spacing.ts), so the receiving end never
   * sees more than the limit in one second, then claim that room. Null when the job's bulk was
   * cancelled meanwhile (it is dropped): checked after every wait, right before the claim, so
   * after a cancel answered nothing of the bulk is handed over any more.
   */
  private async spaceFromLastSend(job: OutboxJob, pace: Pacing): Promise<StartedSend | null> {
    const limits = [
      { key: `c:${job.channel}`, perSecond: pace.chLimit },
      { key: `r:${job.channel}:${job.recipientKey}`, perSecond: pace.rcptLimit },
    ]
    for (;;) {
      await this.spacing.ready(limits)
      if (this.dropIfCancelled(job)) return null
      const wire = this.spacing.tryStart(limits)
      if (wire) return wire
    }
  }

  /** The channel's pacers at its current rates (a reload may change them). */
  private pacing(channel: string): Pacing {
    const rate = this.svc.config().channels[channel]?.info.rules.rate ?? {
      per_second: 1,
      per_recipient_per_second: 1,
    }
    const chRate = rate.per_second * RATE_HEADROOM
    const rcptRate = rate.per_recipient_per_second * RATE_HEADROOM
    let p = this.pacings.get(channel)
    if (!p) {
      p = {
        chLimit: rate.per_second,
        rcptLimit: rate.per_recipient_per_second,
        ch: new Pacer(chRate),
        rcpt: new Pacer(rcptRate),
        calendar: new SlotCalendar(chRate),
        rcptPlan: new Pacer(rcptRate),
      }
      this.pacings.set(channel, p)
    }
    p.chLimit = rate.per_second
    p.rcptLimit = rate.per_recipient_per_second
    p.ch.setRate(chRate)
    p.rcpt.setRate(rcptRate)
    p.calendar.setRate(chRate)
    p.rcptPlan.setRate(rcptRate)
    return p
  }

  private async process(job: OutboxJob): Promise<void> {
    const { store } = this.svc
    if (this.dropIfCancelled(job)) return
    const ch = this.svc.config().channels[job.channel]
    if (!ch) {
      return this.fail(job, {
        code: 'channel_unknown',
        message: `channel ${job.channel} is no longer in the config`,
      })
    }
    const connector = this.svc.channels.get(job.channel)
    const state = this.svc.channels.state(job.channel).state
    if (!connector || state !== 'connected') {
      this.write(() => store.outbox.release(job.jobId, Date.now() + NOT_READY_DELAY_MS))
      return
    }
    // Rate. A send slot is the latest of the channel's and the recipient's next free slot (strict
    // pacers, reserved only for sends about to happen). A job whose slot is further off goes back
    // to the store with a due time planned once: the recipient's queue in order, the channel's in
    // buckets with room — so a long queue is not leased and released over and over, and one
    // recipient's far-off turn never holds back everyone else on the channel.
    const now = Date.now()
    const pace = this.pacing(job.channel)
    const planned = this.planned.get(job.jobId) ?? now
    this.planned.delete(job.jobId)
    let slot = Math.max(
      planned,
      pace.ch.nextFree(job.channel, now),
      pace.rcpt.nextFree(job.recipientKey, now),
    )
    if (slot - now > HOLD_MAX_MS) {
      const from = Math.max(slot, pace.rcptPlan.nextFree(job.recipientKey, now))
      const due = Math.ceil(pace.calendar.plan(from))
      pace.rcptPlan.reserve(job.recipientKey, due)
      this.planned.set(job.jobId, due)
      this.write(() => store.outbox.release(job.jobId, due))
      return
    }
    // WhatsApp Web: a random pause on top; reserved with the slot, so never above the rate.
    slot += sendJitterMs(connector.capabilities.sendJitter, pace.ch.intervalMs)
    pace.ch.reserve(job.channel, slot)
    pace.rcpt.reserve(job.recipientKey, slot)
    pace.rcptPlan.reserve(job.recipientKey, slot)
    if (slot > now) await new Promise((r) => setTimeout(r, slot - now))
    const payload = this.payload(job)
    if (!payload)
      return this.fail(job, { code: 'message_missing', message: 'the message of this job is gone' })
    if ('corrupt' in payload) return this.quarantine(job, payload.corrupt)
    const wire = await this.spaceFromLastSend(job, pace)
    if (!wire) return
    // From the claim to the hand-over nothing waits.
    const timeout = AbortSignal.timeout(this.svc.config().dispatcher.send_timeout_ms)
    const signal = AbortSignal.any([timeout, this.stopCtl.signal])
    const started = Date.now()
    try {
      const sending = connector.send({ ...payload, signal, onWrite: wire.written })
      if (!this.silent.has(connector)) wire.expectWrite(WRITE_WAIT_MAX_MS)
      const res = await raceAbort(sending, signal)
      if (!wire.wasWritten()) this.silent.add(connector)
      const at = new Date().toISOString()
      this.write(() => {
        const m = store.messages.get(job.messageId)
        store.outbox.complete({
          jobId: job.jobId,
          messageId: job.messageId,
          at,
          platformMessageId: res.platformMessageId ?? null,
          possibleDuplicate: false,
          events: m
            ? this.svc.events(
                'message.status',
                statusEvent(
                  { ...m, platform_message_id: res.platformMessageId ?? null },
                  'sent',
                  null,
                ),
                at,
              )
            : [],
        })
      })
      this.svc.metrics.sent.inc({ channel: job.channel })
      this.svc.metrics.dispatchLatency.observe(
        { channel: job.channel },
        (Date.now() - Date.parse(payload.createdAt)) / 1000,
      )
    } catch (err) {
      const e = toSendError(err, signal, this.stopCtl.signal)
      this.onError(job, e, Date.now() - started, connector.capabilities.idempotentSends)
    } finally {
      wire.settled()
    }
  }

  /**
   * A job of a cancelled bulk is not sent: its message becomes `cancelled` and the job goes, in
   * this tick's outcome write. A set lookup for bulk jobs only (bulk/cancelled.ts).
   */
  private dropIfCancelled(job: OutboxJob): boolean {
    if (job.bulkId === null || !cancelledBulks(this.svc).has(job.bulkId)) return false
    const at = new Date().toISOString()
    this.write(() => this.svc.store.outbox.cancelLeased(job.jobId, job.messageId, at))
    this.log.debug({ message_id: job.messageId, bulk_id: job.bulkId }, 'bulk cancelled: not sent')
    return true
  }

  private onError(job: OutboxJob, e: SendError, tookMs: number, idempotent: boolean): void {
    const { store } = this.svc
    const error: MessageError = { code: e.code, message: e.message }
    const attempt = job.attempts + 1
    this.log.info(
      {
        message_id: job.messageId,
        channel: job.channel,
        kind: e.kind,
        code: e.code,
        attempt,
        took_ms: tookMs,
      },
      'send failed',
    )
    if (e.kind === 'retry') {
      if (this.stopCtl.signal.aborted && e.code === 'shutdown') {
        this.write(() => store.outbox.release(job.jobId, Date.now()))
        return
      }
      const max = this.svc.config().dispatcher.max_attempts
      if (attempt >= max) {
        return this.fail(job, {
          code: e.code,
          message: `gave up after ${attempt} attempts: ${e.message}`,
        })
      }
      const policy = {
        baseMs: this.svc.config().dispatcher.backoff_base_ms,
        maxMs: this.svc.config().dispatcher.backoff_max_ms,
      }
      const due = Date.now() + retryDelay(attempt, policy, e.retryAfterMs)
      // Where the platform dedupes by our key, an unknown outcome cannot become a duplicate.
      const dup = e.possiblyDelivered && !idempotent
      this.write(() => store.outbox.retry(job.jobId, job.messageId, due, error, dup))
      this.svc.metrics.retried.inc({
        channel: job.channel,
        kind: e.retryAfterMs !== undefined ? 'retry_after' : 'backoff',
      })
      return
    }
    if (e.kind === 'unreachable') {
      this.write(() => {
        const m = store.messages.get(job.messageId)
        if (m)
          store.identities.setReachable(job.channel, m.address, false, new Date().toISOString())
      })
    }
    this.fail(job, error)
  }

  private fail(job: OutboxJob, error: MessageError): void {
    const at = new Date().toISOString()
    this.write(() => {
      const m = this.svc.store.messages.get(job.messageId)
      this.svc.store.outbox.fail({
        jobId: job.jobId,
        messageId: job.messageId,
        at,
        error,
        events: m ? this.svc.events('message.status', statusEvent(m, 'failed', error), at) : [],
      })
    })
    this.svc.metrics.failed.inc({ channel: job.channel, code: error.code })
  }

  /**
   * A message whose stored row cannot be read (a damaged JSON column, its contact's row) is never
   * sent half-read, nor retried: it fails with `corrupt_record`, its job is removed, and it is
   * counted (`omnigate_corrupt_records_total{kind="message"}`).
   */
  private quarantine(job: OutboxJob, what: string): void {
    this.log.error(
      { message_id: job.messageId, channel: job.channel, unreadable: what },
      'message cannot be read; failed with corrupt_record',
    )
    this.svc.metrics.corrupt.inc({ kind: 'message' })
    this.fail(job, {
      code: 'corrupt_record',
      message: `the stored message cannot be read (${what}); it was not sent`,
    })
  }

  private payload(job: OutboxJob): Omit<OutboundPayload, 'signal'> | { corrupt: string } | null {
    const { store, links } = this.svc
    const m = store.messages.get(job.messageId)
    if (!m) return null
    if (m.unreadable) return { corrupt: m.unreadable.join(', ') }
    let contact: ContactRecord | null
    try {
      contact = store.contacts.get(m.contact_id)
    } catch (err) {
      if (err instanceof CorruptRecord) return { corrupt: `${err.table}.${err.column}` }
      throw err
    }
    let email: OutboundPayload['email'] = null
    if (m.email) {
      const ids = store.messages.emailIds(m.thread_id).filter((id) => id !== m.platform_message_id)
      email = {
        from: m.email.from,
        subject: m.email.subject ?? '',
        bcc: m.email.bcc,
        inReplyTo: ids.at(-1) ?? null,
        references: ids,
      }
    }
    const now = Date.now()
    return {
      messageId: m.id,
      channel: m.channel,
      threadId: m.thread_id,
      to: m.address,
      contact: {
        id: m.contact_id,
        firstName: contact?.first_name ?? null,
        lastName: contact?.last_name ?? null,
      },
      text: m.text,
      template: m.template,
      attachments: m.attachments.map((a) => ({
        id: a.id,
        filename: a.filename,
        contentType: a.content_type,
        size: a.size,
        sha256: a.sha256,
        url: links.url(a.id, now),
        read: () => store.blobs.read(a.sha256),
      })),
      email,
      createdAt: m.created_at,
      attempt: job.attempts + 1,
    }
  }
}

/** A connector that ignores its signal still cannot hold a slot past the timeout. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function toSendError(err: unknown, signal: AbortSignal, stop: AbortSignal): SendError {
  if (err instanceof SendError) return err
  if (signal.aborted) {
    if (stop.aborted)
      return new SendError('retry', 'shutdown', 'the gateway stopped during the send', {
        possiblyDelivered: true,
      })
    return new SendError(
      'retry',
      'timeout',
      'the send timed out; the platform may have received it',
      { possiblyDelivered: true },
    )
  }
  // A connector bug is not the message's fault: retry, and the log says what broke.
  return new SendError('retry', 'connector_error', (err as Error)?.message ?? String(err))
}
