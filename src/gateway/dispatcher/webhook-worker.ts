/**
 * App webhooks (DESIGN §6): events queued in the store with the change they report are POSTed to
 * each configured URL as `{id, type, created_at, data}`, signed `X-Omnigate-Signature: sha256=…`,
 * retried with backoff (a receiver dedupes by `id`), and given up after `MAX_ATTEMPTS`.
 */
import type { Logger } from 'pino'
import { sign } from '../../connectors/webhook/signature.js'
import type { WebhookDelivery } from '../../store/types.js'
import type { Services } from '../services.js'
import { retryDelay } from './backoff.js'

/** ≈ 1 day of retries with the curve below: a receiver down overnight still gets everything. */
const MAX_ATTEMPTS = 30
const POLICY = { baseMs: 1000, maxMs: 60 * 60 * 1000 }
const TIMEOUT_MS = 10_000
const BATCH = 50
const LEASE_MS = 60_000
const IDLE_POLL_MS = 500

export class WebhookWorker {
  private stopped = false
  private loop: Promise<void> | null = null
  private wake: (() => void) | null = null
  private readonly log: Logger

  constructor(private readonly svc: Services) {
    this.log = svc.log.child({ component: 'webhooks' })
  }

  start(): void {
    this.loop ??= this.run().catch((err: unknown) =>
      this.log.error({ err }, 'webhook loop crashed'),
    )
  }

  kick(): void {
    this.wake?.()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.kick()
    await this.loop
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let jobs: WebhookDelivery[] = []
      try {
        jobs = this.svc.store.webhooks.lease(Date.now(), BATCH, LEASE_MS)
      } catch (err) {
        // A locked or full store must not end the loop: it tries again after the idle poll.
        if (!this.svc.storeFaults.report(err, 'leasing webhooks')) throw err
      }
      if (jobs.length === 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, IDLE_POLL_MS)
          this.wake = () => {
            clearTimeout(t)
            resolve()
          }
        })
        continue
      }
      // The outcomes of a batch are recorded in one transaction (one fsync).
      const outcomes = await Promise.all(jobs.map((j) => this.deliver(j)))
      try {
        this.svc.store.batch(() => {
          for (const record of outcomes) record()
        })
      } catch (err) {
        // Not recorded: the deliveries stay leased and go out again after LEASE_MS (at least once).
        if (!this.svc.storeFaults.report(err, 'recording webhook outcomes')) throw err
      }
    }
  }

  /** POSTs one event; returns how to record the outcome. */
  private async deliver(d: WebhookDelivery): Promise<() => void> {
    const target = this.svc.config().webhooks.find((w) => w.url === d.target)
    if (!target) {
      // The webhook was removed from the config: nobody to deliver to.
      return () => this.svc.store.webhooks.fail(d.id)
    }
    let outcome: 'ok' | 'retry' | 'fail' = 'retry'
    let retryAfterMs: number | undefined
    try {
      // Loaded on first use: a daemon without app webhooks does not pay undici's memory.
      const { request } = await import('undici')
      const res = await request(d.target, {
        method: 'POST',
        body: d.payload,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'omnigate',
          'x-omnigate-event-id': d.eventId,
          'x-omnigate-signature': sign(target.secret, d.payload),
        },
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
      await res.body.dump()
      // Any other answer is retried: a receiver that answers 401 or 404 is usually misconfigured
      // for a while, and giving up would lose its events. 410 Gone says it wants none.
      if (res.statusCode < 300) outcome = 'ok'
      else if (res.statusCode === 410) outcome = 'fail'
      else {
        const ra = Number(res.headers['retry-after'])
        if (Number.isFinite(ra) && ra >= 0) retryAfterMs = ra * 1000
      }
      if (outcome !== 'ok')
        this.log.info({ event_id: d.eventId, status: res.statusCode }, 'webhook not accepted')
    } catch (err) {
      this.log.info(
        { event_id: d.eventId, err: { message: (err as Error).message } },
        'webhook delivery failed',
      )
    }
    const attempt = d.attempts + 1
    const { webhooks } = this.svc.store
    if (outcome === 'ok') return () => webhooks.done(d.id)
    if (outcome === 'fail' || attempt >= MAX_ATTEMPTS) {
      this.log.warn({ event_id: d.eventId, attempts: attempt }, 'webhook given up')
      return () => webhooks.fail(d.id)
    }
    const due = Date.now() + retryDelay(attempt, POLICY, retryAfterMs)
    return () => webhooks.retry(d.id, due)
  }
}
