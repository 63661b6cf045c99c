/**
 * Cluster coordination (DESIGN §10): named locks that exactly one daemon on a database holds at a
 * time — `scheduler` for the singleton loops, `channel:<name>` for a stateful connector. A part of
 * the gateway says it wants a lock and is told when it gets it and when it loses it; what it runs
 * while holding it is its own business.
 *
 * On PostgreSQL the locks are advisory locks on one dedicated connection (store/postgres/
 * advisory-locks.ts): a lock not taken is tried again every `RETRY_MS`, and a lost connection
 * takes every lock away at once (the listeners stop their work before anything else happens),
 * then the loop connects again and takes back what it can. On SQLite one daemon owns the file, so
 * every lock is held from the moment it is wanted, with no loop and no cost.
 */
import type { Logger } from 'pino'
import { SupervisedLoop } from '../../connectors/shared/supervised-loop.js'
import type { LoopHealthSink } from '../../connectors/types.js'
import type { SharedLocks } from '../../store/types.js'

/**
 * Another daemon's lock is tried again this often: with a killed holder's connection closed by
 * its kernel at once, take-over takes at most this long (plus a round trip). Each try is one
 * query on one connection per daemon, so 2 s costs nothing worth counting.
 */
const RETRY_MS = 2_000
/** While the database cannot be reached: retry soon, but no faster than this cap allows. */
const RECONNECT_BACKOFF = { baseMs: 500, maxMs: 5_000 }

/** What the coordinator needs of a lock store (the store's `sharedLocks`, or `localLocks`). */
export interface LockBackend extends SharedLocks {
  /** False when this daemon is alone on its store (SQLite): every lock is its own. */
  readonly shared: boolean
}

/** The locks of a daemon alone on its store: all held, always, by itself. */
export function localLocks(daemonId: string): LockBackend {
  return {
    shared: false,
    acquire: (names) => Promise.resolve(new Set(names)),
    release: () => Promise.resolve(),
    owners: (names) => Promise.resolve(new Map(names.map((n) => [n, daemonId]))),
    close: () => Promise.resolve(),
  }
}

/** Told `true` when this daemon takes the lock, `false` when it loses or releases it. */
export type LockListener = (held: boolean) => void

export interface ClusterOptions {
  daemonId: string
  backend: LockBackend
  log: Logger
  health?: LoopHealthSink
}

export class Cluster {
  readonly daemonId: string
  private readonly wanted = new Map<string, LockListener>()
  private readonly held = new Set<string>()
  private readonly loop: SupervisedLoop | null
  private readonly log: Logger

  constructor(private readonly o: ClusterOptions) {
    this.daemonId = o.daemonId
    this.log = o.log.child({ component: 'cluster' })
    this.loop = o.backend.shared
      ? new SupervisedLoop({
          name: 'cluster',
          log: this.log,
          ...(o.health ? { health: o.health } : {}),
          idleMs: RETRY_MS,
          backoff: RECONNECT_BACKOFF,
          tick: () => this.tick(),
        })
      : null
  }

  /** False on SQLite: one daemon, every lock its own. */
  get shared(): boolean {
    return this.o.backend.shared
  }

  /** Starts trying for the wanted locks (nothing to do on SQLite). */
  start(): void {
    this.loop?.start()
  }

  /**
   * Wants the lock `name`: `listener(true)` once this daemon holds it (at once on SQLite; on
   * PostgreSQL within `RETRY_MS` of it being free), `listener(false)` when it is lost.
   */
  hold(name: string, listener: LockListener): void {
    this.wanted.set(name, listener)
    if (!this.loop) {
      this.held.add(name)
      listener(true)
    } else {
      this.loop.kick()
    }
  }

  /** Stops wanting `name`; its listener hears `false` if it was held, and another daemon may take it. */
  async release(name: string): Promise<void> {
    const listener = this.wanted.get(name)
    this.wanted.delete(name)
    if (!this.held.delete(name)) return
    listener?.(false)
    await this.o.backend.release(name).catch((err: unknown) => {
      this.log.warn({ err: { message: (err as Error).message }, lock: name }, 'unlock failed')
    })
  }

  holds(name: string): boolean {
    return this.held.has(name)
  }

  /**
   * Who holds each of `names`, as the store sees it. When the store cannot say (the database is
   * unreachable), this daemon's own view: itself for what it holds.
   */
  async owners(names: readonly string[]): Promise<Map<string, string>> {
    if (names.length === 0) return new Map()
    try {
      return await this.o.backend.owners(names)
    } catch {
      return new Map(names.filter((n) => this.held.has(n)).map((n) => [n, this.daemonId]))
    }
  }

  /** The lock connection was lost: every lock is gone, its work stops now. */
  lost(reason: string): void {
    const had = [...this.held]
    this.held.clear()
    if (had.length > 0)
      this.log.warn({ reason, locks: had }, 'cluster locks lost; stopping their work')
    for (const name of had) this.wanted.get(name)?.(false)
    this.loop?.kick()
  }

  /** Stops trying and lets go of every lock (the caller has stopped the work first). */
  async stop(): Promise<void> {
    await this.loop?.stop()
    this.held.clear()
    this.wanted.clear()
    await this.o.backend.close()
  }

  private async tick(): Promise<'idle'> {
    const names = [...this.wanted.keys()]
    const now = await this.o.backend.acquire(names)
    for (const name of now) {
      const listener = this.wanted.get(name)
      if (!listener) {
        await this.o.backend.release(name) // released while the try was on its way
        continue
      }
      if (this.held.has(name)) continue
      this.held.add(name)
      this.log.info({ lock: name }, 'cluster lock taken')
      listener(true)
    }
    return 'idle'
  }
}
