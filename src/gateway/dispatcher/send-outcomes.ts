/**
 * Outcomes of sends, as plain data, and the one place they are written. The dispatcher decides an
 * outcome where the send ends and `record()`s it; all outcomes of a tick (and of the ticks while a
 * flush is under way) are applied together in one store transaction (one fsync) by `flush()`,
 * handed to the store as data (`outbox.record`). A crash before the flush only repeats a send (at
 * least once), it never loses a message: the jobs stay leased and come due again.
 */
import type { Logger } from 'pino'
import type { MessageError, MessageRecord, OutboxOutcome } from '../../store/types.js'
import { statusEvent } from '../inbound.js'
import { recordEvents } from '../live/index.js'
import type { Services } from '../services.js'

/** What became of one job, to be written. Times are fixed when the outcome is decided. */
export type SendOutcome =
  /**
   * Handed over and accepted: the message is `sent`, the job goes. `message`: as read for the
   * send (its status event is built from it; without it the message is read again).
   */
  | {
      kind: 'sent'
      jobId: number
      messageId: string
      at: string
      platformMessageId: string | null
      message?: MessageRecord
    }
  /** Failed for good: the message is `failed` with `error`, the job goes. */
  | {
      kind: 'failed'
      jobId: number
      messageId: string
      at: string
      error: MessageError
      message?: MessageRecord
    }
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

/**
 * The store's outcomes for a tick's: data, with the `message.status` events built here from the
 * messages as read for their send (carried with the outcome), or read now before the transaction
 * (what an event reports — ids, channel — does not change). `unreachable` marks the identity in the transaction of the message's failure.
 */
async function storeOutcomes(
  svc: Pick<Services, 'store' | 'events'>,
  batch: readonly SendOutcome[],
): Promise<OutboxOutcome[]> {
  const ids = new Set<string>()
  const messages = new Map<string, MessageRecord>()
  for (const o of batch) {
    if ((o.kind === 'sent' || o.kind === 'failed') && o.message)
      messages.set(o.messageId, o.message)
    else if (o.kind === 'sent' || o.kind === 'failed' || o.kind === 'unreachable')
      ids.add(o.messageId)
  }
  for (const id of ids) {
    if (messages.has(id)) continue
    const m = await svc.store.messages.get(id)
    if (m) messages.set(id, m)
  }
  const unreachable = new Map<string, string>()
  for (const o of batch) if (o.kind === 'unreachable') unreachable.set(o.messageId, o.channel)
  const out: OutboxOutcome[] = []
  for (const o of batch) {
    const m = 'messageId' in o ? messages.get(o.messageId) : undefined
    switch (o.kind) {
      case 'sent': {
        const sent = m ? { ...m, platform_message_id: o.platformMessageId } : null
        out.push({
          kind: 'sent',
          jobId: o.jobId,
          messageId: o.messageId,
          at: o.at,
          platformMessageId: o.platformMessageId,
          possibleDuplicate: false,
          events: sent ? svc.events('message.status', statusEvent(sent, 'sent', null), o.at) : [],
        })
        break
      }
      case 'failed': {
        const channel = unreachable.get(o.messageId)
        unreachable.delete(o.messageId)
        out.push({
          kind: 'failed',
          jobId: o.jobId,
          messageId: o.messageId,
          at: o.at,
          error: o.error,
          events: m ? svc.events('message.status', statusEvent(m, 'failed', o.error), o.at) : [],
          ...(channel !== undefined && m ? { unreachable: { channel, address: m.address } } : {}),
        })
        break
      }
      case 'retry':
        out.push({
          kind: 'retry',
          jobId: o.jobId,
          messageId: o.messageId,
          dueAtMs: o.due,
          error: o.error,
          possibleDuplicate: o.possibleDuplicate,
        })
        break
      case 'release':
        out.push({ kind: 'released', jobId: o.jobId, dueAtMs: o.due })
        break
      case 'cancelled':
        out.push({ kind: 'cancelled', jobId: o.jobId, messageId: o.messageId, at: o.at })
        break
      case 'unreachable':
        break
    }
  }
  // An unreachable address without its failure in this tick (never so today) is still marked.
  for (const [messageId, channel] of unreachable) {
    const m = messages.get(messageId)
    if (m)
      await svc.store.identities.setReachable(channel, m.address, false, new Date().toISOString())
  }
  return out
}

/** Outcomes that could not be written (store locked, disk full) are tried again this much later. */
const FLUSH_RETRY_MS = 500

/** Collects outcomes and writes them in one transaction a flush, one flush at a time. */
export class OutcomeBatch {
  private pending: SendOutcome[] = []
  /** A flush that failed on a store fault, to be tried again. */
  private retryTimer: NodeJS.Timeout | null = null
  /** The flush under way (its reads and its transaction), awaited by `close`. */
  private flushing: Promise<void> | null = null
  /** Outcomes came while a flush was under way: they go in one flush right after it. */
  private again = false

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

  /**
   * Defers `o` to the end of this tick, where all of them share one transaction; while a flush is
   * under way, to the flush right after it.
   */
  record(o: SendOutcome): void {
    this.pending.push(o)
    if (this.pending.length === 1) setImmediate(() => void this.flush())
  }

  /**
   * Writes what was recorded. A store fault keeps it for another try unless stopped. One flush at
   * a time, like group commit: what is recorded during one goes in the next, as soon as it ends.
   * Each flush is a transaction (on PostgreSQL a round trip, a WAL flush and a notification), and
   * ticks' flushes running side by side each carried a few outcomes.
   */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true
      return this.flushing
    }
    const run = this.write().finally(() => {
      this.flushing = null
      if (!this.again) return
      this.again = false
      // After a store fault the retry timer flushes, at its time.
      if (this.pending.length > 0 && !this.retryTimer) void this.flush()
    })
    this.flushing = run
    return run
  }

  private async write(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    const batch = this.pending
    this.pending = []
    if (batch.length === 0) return
    const told = recordEvents(this.svc.events)
    try {
      const { rejected } = await this.svc.store.outbox.record(
        await storeOutcomes({ store: this.svc.store, events: told.events }, batch),
      )
      for (const r of rejected)
        this.log.error({ err: r.error, outcome: r.outcome.kind }, 'recording a send outcome failed')
      // Only what was committed goes live: a rejected outcome wrote nothing, its event included.
      const dropped = new Set(
        rejected.map((r) => ('messageId' in r.outcome ? r.outcome.messageId : '')),
      )
      this.svc.live.publish(told.taken().filter((e) => !dropped.has(String(e.data.message_id))))
    } catch (err) {
      if (this.svc.storeFaults.report(err, 'recording send outcomes') && !this.hooks.stopped()) {
        // Tried again as a whole; meanwhile (or after a crash) the jobs stay leased and come due
        // again when the lease expires: sent again, not lost.
        this.pending = [...batch, ...this.pending]
        this.retryTimer = setTimeout(() => void this.flush(), FLUSH_RETRY_MS)
        return
      }
      // The jobs stay leased and come due again when the lease expires: sent again, not lost.
      this.log.error({ err, count: batch.length }, 'committing send outcomes failed')
    }
    this.hooks.flushed()
  }

  /** The last flush, at stop: what cannot be written now stays leased and is sent again. */
  async close(): Promise<void> {
    await this.flushing
    await this.flush()
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
  }
}
