/**
 * App webhooks (DESIGN §6): events queued in the store with the change they report are POSTed to
 * each configured URL as `{id, type, created_at, data}`, signed `X-Omnigate-Signature: sha256=…`,
 * retried with backoff (a receiver dedupes by `id`) on the webhook's `retry` schedule, and kept as
 * a dead letter once its tries are used up (`GET /v1/webhooks/deliveries`, DESIGN §15). It runs on
 * the supervised loop: a database error is logged, counted and backed off, and delivery goes on
 * once the store answers again; a row that cannot be read is dropped (`corrupt_record`).
 */
import type { Logger } from 'pino'
import { signedHeaders } from '../../connectors/webhook/signature.js'
import type { WebhookDelivery, WebhookOutcome } from '../../store/types.js'
import { parseRetryAfter } from '../../connectors/shared/retry-after.js'
import { SupervisedLoop, type TickOutcome } from '../../connectors/shared/supervised-loop.js'
import type { Services } from '../services.js'
import { retryDelay } from './backoff.js'

/**
 * The first retry's wait; it doubles up to the webhook's `retry.backoff_max`.
 * @internal exported for its tests
 */
export const WEBHOOK_BACKOFF_BASE_MS = 1000
const TIMEOUT_MS = 10_000
const BATCH = 50
const LEASE_MS = 60_000
const IDLE_POLL_MS = 500

export class WebhookWorker {
  private readonly loop: SupervisedLoop
  private readonly log: Logger

  constructor(private readonly svc: Services) {
    this.log = svc.log.child({ component: 'webhooks' })
    this.loop = new SupervisedLoop({
      name: 'webhooks',
      log: this.log,
      health: svc.health,
      idleMs: IDLE_POLL_MS,
      tick: () => this.tick(),
    })
  }

  start(): void {
    this.loop.start()
  }

  kick(): void {
    this.loop.kick()
  }

  /** Lets the batch in hand finish and record its outcomes, then stops. */
  async stop(): Promise<void> {
    await this.loop.stop()
  }

  /**
   * One batch: lease, deliver side by side, record the outcomes in one transaction (one fsync).
   * A store error ends the tick (the loop backs off) and stands as a store problem for `/readyz`;
   * the leased rows come due again when their lease expires, so nothing is lost.
   */
  private async tick(): Promise<TickOutcome> {
    let jobs: WebhookDelivery[]
    try {
      jobs = await this.svc.store.webhooks.lease(Date.now(), BATCH, LEASE_MS)
    } catch (err) {
      this.svc.storeFaults.report(err, 'leasing webhooks')
      throw err
    }
    if (jobs.length === 0) return 'idle'
    const outcomes = await Promise.all(jobs.map((j) => this.deliver(j)))
    try {
      await this.svc.store.webhooks.record(outcomes)
    } catch (err) {
      // Not recorded: the deliveries stay leased and go out again after LEASE_MS (at least once).
      this.svc.storeFaults.report(err, 'recording webhook outcomes')
      throw err
    }
    return 'busy'
  }

  /** POSTs one event; returns its outcome to record. */
  private async deliver(d: WebhookDelivery): Promise<WebhookOutcome> {
    if (!readable(d)) {
      // Retrying cannot mend the row, and posting it would only get it refused for a day.
      this.log.error(
        { delivery_id: d.id, event_id: d.eventId, code: 'corrupt_record' },
        'an app-webhook delivery cannot be read; dropped',
      )
      this.svc.metrics.corrupt.inc({ kind: 'webhook_delivery' })
      return given(d, 'corrupt_record')
    }
    const target = this.svc.config().webhooks.find((w) => w.url === d.target)
    if (!target) {
      // The webhook was removed from the config: nobody to deliver to.
      return given(d, 'webhook_removed')
    }
    let outcome: 'ok' | 'retry' | 'fail' = 'retry'
    let retryAfterMs: number | undefined
    let error = 'no answer'
    try {
      // Loaded on first use: a daemon without app webhooks does not pay undici's memory. The
      // package's exports as `default`: a CommonJS package's chunk in the bundle
      // (scripts/bundle.mjs) has no named exports.
      const undici = (await import('undici')).default
      const res = await undici.request(d.target, {
        method: 'POST',
        body: d.payload,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'omnigate',
          'x-omnigate-event-id': d.eventId,
          // Both signature forms; webhook-id is the event id, the same on every retry.
          ...signedHeaders(target.secret, d.eventId, d.payload),
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
        retryAfterMs = parseRetryAfter(res.headers['retry-after'])
      }
      error = `HTTP ${res.statusCode}`
      if (outcome !== 'ok')
        this.log.info({ event_id: d.eventId, status: res.statusCode }, 'webhook not accepted')
    } catch (err) {
      this.log.info(
        { event_id: d.eventId, err: { message: (err as Error).message } },
        'webhook delivery failed',
      )
      error = (err as Error).name === 'TimeoutError' ? 'timeout' : 'network error'
    }
    const attempt = d.attempts + 1
    if (outcome === 'ok') return { kind: 'done', id: d.id }
    if (outcome === 'fail' || attempt >= target.retry.attempts) {
      this.log.warn({ event_id: d.eventId, attempts: attempt }, 'webhook given up: a dead letter')
      return given(d, error)
    }
    const policy = { baseMs: WEBHOOK_BACKOFF_BASE_MS, maxMs: target.retry.backoff_max_ms }
    return {
      kind: 'retry',
      id: d.id,
      dueAtMs: Date.now() + retryDelay(attempt, policy, retryAfterMs),
    }
  }
}

/** Given up: kept as a dead letter with what went wrong last (never a receiver's body). */
function given(d: WebhookDelivery, error: string): WebhookOutcome {
  return { kind: 'failed', id: d.id, at: new Date().toISOString(), error }
}

/** The row holds an event we can sign and send: a JSON object whose `id` is the row's event id. */
function readable(d: WebhookDelivery): boolean {
  if (typeof d.payload !== 'string' || typeof d.target !== 'string') return false
  try {
    const body: unknown = JSON.parse(d.payload)
    return typeof body === 'object' && body !== null && (body as { id?: unknown }).id === d.eventId
  } catch {
    return false
  }
}
