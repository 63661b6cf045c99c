/**
 * The dispatcher (DESIGN §2): leases due outbox jobs in batches, paces them to each channel's and
 * each recipient's rate, calls `connector.send()` and records the outcome by `SendError` kind:
 * `retry` backs off (honouring Retry-After) up to `max_attempts`, `unreachable` fails the message and
 * marks the identity, `rejected` fails it. A crash leaves leased jobs to expire and come due again,
 * so nothing is stranded; statuses only move forward. The loop is supervised: a store error is
 * logged, counted and backed off, and leasing goes on. A job whose message cannot be read fails
 * with `corrupt_record` instead of coming back after every lease.
 *
 * This file runs a job from lease to outcome; each step is its own module: leasing.ts (which jobs),
 * channel-pacing.ts (when), send-payload.ts (what), send-failure.ts (what a failure means) and
 * send-outcomes.ts (writing the outcomes, one transaction a tick).
 */
import type { Logger } from 'pino'
import { SupervisedLoop, type TickOutcome } from '../../connectors/shared/supervised-loop.js'
import { SendError } from '../../connectors/types.js'
import type { MessageError, MessageRecord, OutboxJob } from '../../store/types.js'
import { cancelledBulks } from '../bulk/cancelled.js'
import type { Services } from '../services.js'
import { ChannelPacing, type SharedAsk, type WireClaim } from './channel-pacing.js'
import { IDLE_POLL_MS, leaseDue } from './leasing.js'
import { decideFailure, raceAbort, toSendError } from './send-failure.js'
import { OutcomeBatch } from './send-outcomes.js'
import { buildPayload, jobMessage } from './send-payload.js'

/** A channel that is not connected is retried this much later, without counting an attempt. */
// Short, so a channel that (re)connects starts sending within a second; the release writes are
// batched per tick, so holding a queue this way costs one transaction a second.
const NOT_READY_DELAY_MS = 1000
/** Rates of a channel that left the config while its jobs were in flight. */
const UNKNOWN_CHANNEL_RATE = { per_second: 1, per_recipient_per_second: 1 }

export class OutboxWorker {
  private readonly inflight = new Set<Promise<void>>()
  private readonly stopCtl = new AbortController()
  /** Each send's own signal: aborted at its deadline, or by `abortSends` when we stop. */
  private readonly sends = new Set<AbortController>()
  private readonly pacing: ChannelPacing
  /** Outcome writes of this tick, committed together (one fsync). */
  private readonly outcomes: OutcomeBatch
  private readonly loop: SupervisedLoop
  /** Every slot was taken at the last tick: a finishing send wakes the loop. */
  private saturated = false
  private readonly log: Logger

  /** `leaseClock` (ms) decides which jobs are due; tests move it past a scheduled send's time. */
  constructor(
    private readonly svc: Services,
    private readonly leaseClock: () => number = Date.now,
  ) {
    this.log = svc.log.child({ component: 'outbox' })
    this.pacing = new ChannelPacing(
      (channel) => svc.config().channels[channel]?.info.rules.rate ?? UNKNOWN_CHANNEL_RATE,
      svc.store.pacing,
    )
    this.outcomes = new OutcomeBatch(svc, this.log, {
      stopped: () => this.stopCtl.signal.aborted,
      flushed: () => this.kick(),
    })
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
    const grace = setTimeout(() => this.abortSends(), graceMs)
    await this.loop.stop()
    await Promise.allSettled([...this.inflight])
    clearTimeout(grace)
    this.abortSends()
    await this.outcomes.close()
  }

  /** Stopped: every send still running is aborted (`toSendError` tells it from a timeout). */
  private abortSends(): void {
    this.stopCtl.abort()
    for (const send of this.sends) send.abort(this.stopCtl.signal.reason)
  }

  /**
   * One lease: the due jobs that fit the free slots start (their sends run on, tracked), and the
   * loop yields before leasing more. A store error throws out of here: the loop backs off.
   */
  private async tick(): Promise<TickOutcome> {
    const { concurrency } = this.svc.config().dispatcher
    const free = concurrency - this.inflight.size
    // Leases in batches: while sends are in flight, the next lease waits for a quarter of the
    // slots to be free (each finishing send wakes it). A lease is a transaction — on PostgreSQL
    // two round trips and a WAL flush — and leasing each freed slot on its own made a drain pay
    // one per message.
    this.saturated = free <= 0 || (this.inflight.size > 0 && free < leaseBatch(concurrency))
    if (this.saturated) return { waitMs: IDLE_POLL_MS }
    const lease = await leaseDue(this.svc, free, this.leaseClock())
    if ('idleMs' in lease) return { waitMs: lease.idleMs }
    for (const job of lease.jobs) this.track(job, this.process(job))
    // Let the sends just started make progress before leasing more.
    return 'busy'
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
        const crashed = new SendError('retry', 'internal', `the job crashed: ${msg}`)
        this.onError(job, crashed, 0, false) // never possibly delivered: idempotence is moot
      })
      .finally(() => {
        this.inflight.delete(t)
        if (this.saturated) this.kick()
      })
    this.inflight.add(t)
  }

  private async process(job: OutboxJob): Promise<void> {
    if (this.dropIfCancelled(job)) return
    if (!this.svc.config().channels[job.channel]) {
      return this.fail(job, {
        code: 'channel_unknown',
        message: `channel ${job.channel} is no longer in the config`,
      })
    }
    const connector = this.svc.channels.get(job.channel)
    const state = this.svc.channels.state(job.channel).state
    if (!connector || state !== 'connected') {
      const due = Date.now() + NOT_READY_DELAY_MS
      this.outcomes.record({ kind: 'release', jobId: job.jobId, due })
      return
    }
    const now = Date.now()
    const slot = this.pacing.slot(job, connector.capabilities.sendJitter, now)
    if (slot.kind === 'hold') {
      this.outcomes.record({ kind: 'release', jobId: job.jobId, due: slot.due })
      return
    }
    // The shared slot (several daemons) is asked for a lead before the planned one: at once, in
    // lease order, for jobs planned now; in slot order for the others.
    const early = slot.at - this.pacing.sharedLeadMs - now
    if (early > 0) await new Promise((r) => setTimeout(r, early))
    const asked = this.pacing.reserveShared(job, slot.at)
    const wait = slot.at - Date.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const message = await jobMessage(this.svc, job)
    const payload = await buildPayload(this.svc, job, message)
    if (!payload || !message)
      return this.fail(job, { code: 'message_missing', message: 'the message of this job is gone' })
    if ('corrupt' in payload) return this.quarantine(job, payload.corrupt)
    if ('refused' in payload) return this.fail(job, payload.refused)
    if ('deferUntil' in payload) {
      this.outcomes.record({ kind: 'release', jobId: job.jobId, due: payload.deferUntil })
      return
    }
    const claim = await this.claimWire(job, asked)
    if (claim.kind !== 'send') return
    const { wire } = claim
    // From the claim to the hand-over nothing waits.
    // A controller and a timer of our own: AbortSignal.timeout with AbortSignal.any cost ≈ 5 % of
    // the dispatcher's time in P2's profile (weak references, listeners on the stop signal).
    const send = new AbortController()
    const { signal } = send
    const deadline = setTimeout(
      () => send.abort(new DOMException('The send timed out', 'TimeoutError')),
      this.svc.config().dispatcher.send_timeout_ms,
    )
    this.sends.add(send)
    if (this.stopCtl.signal.aborted) send.abort(this.stopCtl.signal.reason)
    const started = Date.now()
    try {
      const sending = connector.send({ ...payload, signal, onWrite: wire.written })
      this.pacing.handedOver(connector, wire)
      const res = await raceAbort(sending, signal)
      this.pacing.accepted(connector, wire)
      this.outcomes.record({
        kind: 'sent',
        jobId: job.jobId,
        messageId: job.messageId,
        at: new Date().toISOString(),
        platformMessageId: res.platformMessageId ?? null,
        message,
      })
      this.svc.metrics.sent.inc({ channel: job.channel })
      this.svc.metrics.dispatchLatency.observe(
        { channel: job.channel },
        (Date.now() - Date.parse(payload.createdAt)) / 1000,
      )
    } catch (err) {
      const e = toSendError(err, signal, this.stopCtl.signal)
      this.onError(job, e, Date.now() - started, connector.capabilities.idempotentSends, message)
    } finally {
      clearTimeout(deadline)
      this.sends.delete(send)
      wire.settled()
    }
  }

  /**
   * The job's room on the wire (channel-pacing.ts). A shared slot too far off, or a store that
   * cannot reserve one now, sends the job back to the store to wait.
   */
  private async claimWire(job: OutboxJob, asked?: SharedAsk): Promise<WireClaim> {
    let claim: WireClaim
    try {
      const { bulkId } = job
      const cancelled = cancelledBulks(this.svc)
      claim = await this.pacing.claimWire(
        job,
        () => this.dropIfCancelled(job),
        asked,
        bulkId === null || !cancelled.confirms ? undefined : () => cancelled.confirm(bulkId),
      )
    } catch (err) {
      this.svc.storeFaults.report(err, 'reserving a rate slot')
      claim = { kind: 'hold', due: Date.now() + NOT_READY_DELAY_MS }
    }
    if (claim.kind === 'hold')
      this.outcomes.record({ kind: 'release', jobId: job.jobId, due: claim.due })
    return claim
  }

  /**
   * A job of a cancelled bulk is not sent: its message becomes `cancelled` and the job goes, in
   * this tick's outcome write. A set lookup for bulk jobs only (bulk/cancelled.ts).
   */
  private dropIfCancelled(job: OutboxJob): boolean {
    if (job.bulkId === null || !cancelledBulks(this.svc).has(job.bulkId)) return false
    const at = new Date().toISOString()
    this.outcomes.record({ kind: 'cancelled', jobId: job.jobId, messageId: job.messageId, at })
    this.log.debug({ message_id: job.messageId, bulk_id: job.bulkId }, 'bulk cancelled: not sent')
    return true
  }

  /** A failed send, decided on its `SendError` kind alone (send-failure.ts). */
  private onError(
    job: OutboxJob,
    e: SendError,
    tookMs: number,
    idempotent: boolean,
    message?: MessageRecord,
  ): void {
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
    const cfg = this.svc.config().dispatcher
    const decision = decideFailure(e, {
      attempt,
      maxAttempts: cfg.max_attempts,
      backoff: { baseMs: cfg.backoff_base_ms, maxMs: cfg.backoff_max_ms },
      idempotent,
      stopping: this.stopCtl.signal.aborted,
    })
    switch (decision.kind) {
      case 'release':
        this.outcomes.record({ kind: 'release', jobId: job.jobId, due: Date.now() })
        return
      case 'retry':
        this.outcomes.record({
          kind: 'retry',
          jobId: job.jobId,
          messageId: job.messageId,
          due: Date.now() + decision.delayMs,
          error: decision.error,
          possibleDuplicate: decision.possibleDuplicate,
        })
        this.svc.metrics.retried.inc({
          channel: job.channel,
          kind: decision.retryAfter ? 'retry_after' : 'backoff',
        })
        return
      case 'fail':
        if (decision.unreachable) {
          const at = new Date().toISOString()
          const { channel, messageId } = job
          this.outcomes.record({ kind: 'unreachable', channel, messageId, at })
        }
        return this.fail(job, decision.error, message)
    }
  }

  /** `message`: the job's message as read for the send, when it was (saves a read for the event). */
  private fail(job: OutboxJob, error: MessageError, message?: MessageRecord): void {
    const at = new Date().toISOString()
    const { jobId, messageId } = job
    this.outcomes.record({
      kind: 'failed',
      jobId,
      messageId,
      at,
      error,
      ...(message && { message }),
    })
    this.svc.metrics.failed.inc({ channel: job.channel, code: error.code })
  }

  /**
   * A message whose stored row cannot be read (a damaged JSON column) is never
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
}

/** The fewest jobs a lease asks for while sends are in flight: a quarter of the slots. */
function leaseBatch(concurrency: number): number {
  return Math.max(1, Math.floor(concurrency / 4))
}
