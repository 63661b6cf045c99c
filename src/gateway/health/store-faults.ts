/**
 * Store faults as the daemon reports them. Every fault that reaches the gateway (an HTTP answer, a
 * dispatcher write put off) is counted by kind (`omnigate_store_errors_total`), logged, and turned
 * into a standing problem of the `store` component for `/readyz`: `disk_full` for a full disk,
 * `store_unwritable` for a locked or failing one. While a problem stands, the store is probed
 * every `PROBE_EVERY_MS` (a small write, then the WAL truncated: `StoreUpkeep.probeWrites`), so
 * the daemon recovers by itself once space is freed or the lock released, restart-free.
 */
import type { Logger } from 'pino'
import type { Counter } from 'prom-client'
import { storeFault, type StoreFault, type StoreUpkeep } from '../../store/index.js'
import { apiError, type ApiError } from '../errors.js'
import type { Health } from './index.js'

/**
 * A stuck store is probed this often: freed space is noticed within it, and a probe (a 64 KB
 * write, one fsync, a checkpoint that may wait the 50 ms busy timeout) costs nothing at this rate.
 */
const PROBE_EVERY_MS = 2000

/**
 * `Retry-After` of a 503 `store_unavailable`, in seconds: another process's lock is usually over
 * within a second; a full or failing disk needs a person, so clients need not hammer it.
 */
const RETRY_AFTER_S: Record<StoreFault['kind'], number> = { busy: 1, full: 5, io: 5 }

const PROBLEM: Record<StoreFault['kind'], { code: string; detail: string }> = {
  busy: { code: 'store_unwritable', detail: 'the database is locked by another process' },
  full: { code: 'disk_full', detail: 'the disk holding the database is full' },
  io: { code: 'store_unwritable', detail: 'the disk failed a read or write of the database' },
}

const ANSWER: Record<StoreFault['kind'], string> = {
  busy: 'the database is locked by another process; nothing was stored, retry shortly',
  full: 'the disk is full; nothing was stored, retry once space is freed',
  io: 'the disk failed a read or write; nothing was stored, retry later',
}

export class StoreFaults {
  private timer: NodeJS.Timeout | null = null
  private stopped = false
  private readonly log: Logger

  constructor(
    private readonly deps: {
      health: Health
      errors: Counter<'kind'>
      store: StoreUpkeep
      log: Logger
      now: () => Date
    },
  ) {
    this.log = deps.log.child({ component: 'store' })
  }

  /**
   * The fault `err` is, counted, logged and standing as a problem until the store takes a write
   * again; null (and nothing recorded) when `err` is no store fault.
   */
  report(err: unknown, during: string): StoreFault | null {
    const fault = storeFault(err)
    if (!fault) return null
    this.deps.errors.inc({ kind: fault.kind })
    const p = PROBLEM[fault.kind]
    this.deps.health.set('store', p.code, `${p.detail} (${fault.code})`)
    this.log.warn({ kind: fault.kind, code: fault.code, during }, `store fault: ${p.detail}`)
    this.schedule()
    return fault
  }

  /** Tries a write now: true, and the store's problems cleared, when the store took it. */
  async probe(): Promise<boolean> {
    try {
      const { walTruncated } = await this.deps.store.probeWrites(this.deps.now().toISOString())
      const had = this.problems()
      this.deps.health.clear('store', 'disk_full')
      this.deps.health.clear('store', 'store_unwritable')
      if (had.length > 0)
        this.log.info({ was: had, wal_truncated: walTruncated }, 'store writable again')
      return true
    } catch (err) {
      const fault = storeFault(err)
      if (fault) this.deps.health.set('store', PROBLEM[fault.kind].code)
      else this.log.error({ err }, 'store probe failed')
      return false
    }
  }

  /** No more probes (the gateway stops; the store is about to close). */
  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private problems(): string[] {
    return this.deps.health
      .problems()
      .filter((p) => p.component === 'store')
      .map((p) => p.code)
  }

  private schedule(): void {
    if (this.timer || this.stopped) return
    this.timer = setTimeout(() => {
      this.timer = null
      void this.probe().then((ok) => {
        if (!ok) this.schedule()
      })
    }, PROBE_EVERY_MS)
    this.timer.unref()
  }
}

/** The API's answer to a store fault: 503 `store_unavailable` with `Retry-After`. */
export function storeUnavailable(fault: StoreFault): ApiError {
  return apiError(
    'store_unavailable',
    ANSWER[fault.kind],
    { kind: fault.kind },
    { 'retry-after': String(RETRY_AFTER_S[fault.kind]) },
  )
}
