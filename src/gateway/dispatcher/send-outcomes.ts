/**
 * Outcomes of sends, as plain data, and the one place they are written. The dispatcher decides an
 * outcome where the send ends and `record()`s it; all outcomes of a tick are applied together in
 * one store transaction (one fsync) by `flush()`. A crash before the flush only repeats a send (at
 * least once), it never loses a message: the jobs stay leased and come due again.
 */
import type { Logger } from 'pino'
import type { MessageError } from '../../store/types.js'
import { storeFault } from '../../store/store-fault.js'
import { statusEvent } from '../inbound.js'
import type { Services } from '../services.js'

/** What became of one job, to be written. Times are fixed when the outcome is decided. */
export type SendOutcome =
  /** Handed over and accepted: the message is `sent`, the job goes. */
  | { kind: 'sent'; jobId: number; messageId: string; at: string; platformMessageId: string | null }
  /** Failed for good: the message is `failed` with `error`, the job goes. */
  | { kind: 'failed'; jobId: number; messageId: string; at: string; error: MessageError }
  /** Tried again at `due` (ms), one attempt counted. */
  | {
      kind: 'retry'
      jobId: number
      messageId: string
      due: number
      error: MessageError
      possibleDuplicate: boolean
    }
  /** Back to the queue, due at `due` (ms), no attempt counted (not ready, waiting for its slot). */
  | { kind: 'release'; jobId: number; due: number }
  /** Its bulk was cancelled: the message is `cancelled`, the job goes. */
  | { kind: 'cancelled'; jobId: number; messageId: string; at: string }
  /** The platform says the message's address cannot be reached: its identity is marked so. */
  | { kind: 'unreachable'; channel: string; messageId: string; at: string }

/** Writes one outcome: the only place the dispatcher's outcomes reach the store. */
export function applyOutcome(svc: Pick<Services, 'store' | 'events'>, o: SendOutcome): void {
  const { store } = svc
  switch (o.kind) {
    case 'sent': {
      const m = store.messages.get(o.messageId)
      const sent = m ? { ...m, platform_message_id: o.platformMessageId } : null
      store.outbox.complete({
        jobId: o.jobId,
        messageId: o.messageId,
        at: o.at,
        platformMessageId: o.platformMessageId,
        possibleDuplicate: false,
        events: sent ? svc.events('message.status', statusEvent(sent, 'sent', null), o.at) : [],
      })
      return
    }
    case 'failed': {
      const m = store.messages.get(o.messageId)
      store.outbox.fail({
        jobId: o.jobId,
        messageId: o.messageId,
        at: o.at,
        error: o.error,
        events: m ? svc.events('message.status', statusEvent(m, 'failed', o.error), o.at) : [],
      })
      return
    }
    case 'retry':
      store.outbox.retry(o.jobId, o.messageId, o.due, o.error, o.possibleDuplicate)
      return
    case 'release':
      store.outbox.release(o.jobId, o.due)
      return
    case 'cancelled':
      store.outbox.cancelLeased(o.jobId, o.messageId, o.at)
      return
    case 'unreachable': {
      const m = store.messages.get(o.messageId)
      if (m) store.identities.setReachable(o.channel, m.address, false, o.at)
      return
    }
  }
}

/** Outcomes that could not be written (store locked, disk full) are tried again this much later. */
const FLUSH_RETRY_MS = 500

/** Collects a tick's outcomes and writes them in one transaction. */
export class OutcomeBatch {
  private pending: SendOutcome[] = []
  /** A flush that failed on a store fault, to be tried again. */
  private retryTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly svc: Services,
    private readonly log: Logger,
    private readonly hooks: {
      /** True once the worker stopped: a failed flush is then not tried again. */
      stopped(): boolean
      /** After each flush: a retry or release may now be due sooner than the loop's sleep. */
      flushed(): void
    },
  ) {}

  /** Defers `o` to the end of this tick, where all of them share one transaction. */
  record(o: SendOutcome): void {
    this.pending.push(o)
    if (this.pending.length === 1) setImmediate(() => this.flush())
  }

  /** Writes what was recorded. A store fault keeps it for another try unless stopped. */
  flush(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    const batch = this.pending
    this.pending = []
    if (batch.length === 0) return
    try {
      this.svc.store.batch(() => {
        for (const o of batch) {
          try {
            applyOutcome(this.svc, o)
          } catch (err) {
            // SQLite may have rolled the whole transaction back: the batch fails as one.
            if (storeFault(err)) throw err
            this.log.error({ err, outcome: o.kind }, 'recording a send outcome failed')
          }
        }
      })
    } catch (err) {
      if (this.svc.storeFaults.report(err, 'recording send outcomes') && !this.hooks.stopped()) {
        // Tried again as a whole; meanwhile (or after a crash) the jobs stay leased and come due
        // again when the lease expires: sent again, not lost.
        this.pending = [...batch, ...this.pending]
        this.retryTimer = setTimeout(() => this.flush(), FLUSH_RETRY_MS)
        return
      }
      // The jobs stay leased and come due again when the lease expires: sent again, not lost.
      this.log.error({ err, count: batch.length }, 'committing send outcomes failed')
    }
    this.hooks.flushed()
  }

  /** The last flush, at stop: what cannot be written now stays leased and is sent again. */
  close(): void {
    this.flush()
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
  }
}
