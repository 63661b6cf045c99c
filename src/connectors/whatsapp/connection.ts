/**
 * The life of one WhatsApp Web session: initialize under a deadline, pairing by QR, ready, and
 * reconnecting with backoff when WhatsApp drops us — but not when the phone logged us out (that
 * needs a person; retrying would only loop). Every change is reported through `report` so
 * `GET /v1/channels` always says what is going on. (Re)connecting runs on the supervised loop
 * `session`, from a start or a drop until `initialize()` succeeds.
 */
import type { Logger } from 'pino'
import { SupervisedLoop } from '../shared/supervised-loop.js'
import type { ChannelState, ChannelStateName, LoopHealthSink } from '../types.js'
import { reconnectDelay, type Backoff } from './backoff.js'
import type { WhatsAppClientEvents, WhatsAppClientLike } from './client-like.js'
import { renderQr } from './qr.js'

export interface ConnectionOptions {
  /** Deadline for `initialize()` (it has none of its own and can hang on a dead network). */
  initTimeoutMs: number
  backoff: Backoff
  random?: () => number
  /** The health board (the connector context's `loops`). */
  loops?: LoopHealthSink
}

/**
 * 120 s: a cold Chromium start plus loading WhatsApp Web and decrypting a large chat history on a
 * small VM takes up to a minute; twice that means something is stuck.
 */
export const DEFAULT_INIT_TIMEOUT_MS = 120_000
/** 10 s: closing Chromium takes well under a second; stop() must not hang on a wedged browser. */
const DESTROY_TIMEOUT_MS = 10_000

const LOGGED_OUT_DETAIL =
  'logged out on the phone; pair again: scan the new QR (GET /v1/channels or the log), or restart the channel if none appears'
/** The browser itself could not start: retrying helps only after a person fixes it. */
const LAUNCH_FAILED = /Failed to launch|spawn|ENOENT|EACCES|executable/i

function deadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)
  })
  return Promise.race([work, expired]).finally(() => clearTimeout(timer))
}

function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return (text.split('\n')[0] ?? '').slice(0, 200)
}

export class Connection {
  private current: ChannelStateName = 'connecting'
  private attempt = 0
  private loop: Promise<void> | null = null
  /** A drop reported while a loop was still running: run again once it ends. */
  private droppedMeanwhile: string | null = null
  private stopped = false
  private loggedOut = false
  private qrSeq = 0
  private readonly halt = new AbortController()
  /** One per listener `listen()` added: takes it off the client again. */
  private readonly unlisteners: (() => void)[] = []

  constructor(
    private readonly client: WhatsAppClientLike,
    private readonly report: (state: ChannelState) => void,
    private readonly log: Logger,
    private readonly opts: ConnectionOptions,
  ) {}

  /** The last state reported. */
  get state(): ChannelStateName {
    return this.current
  }

  /** Listens to the session events and starts the first initialize (without waiting for it). */
  start(): void {
    this.listen('qr', (qr) => void this.onQr(qr))
    this.listen('authenticated', () =>
      this.set({ state: 'connecting', detail: 'paired; loading chats' }),
    )
    this.listen('ready', () => {
      this.attempt = 0
      this.loggedOut = false
      this.set({ state: 'connected' })
      this.log.info('whatsapp: connected')
    })
    this.listen('auth_failure', (message) => {
      this.set({
        state: 'error',
        detail: `the saved session could not be restored (${message}); pair again with the QR that follows`,
      })
      this.log.error({ reason: message }, 'whatsapp: authentication failed')
    })
    this.listen('disconnected', (why) => this.onDisconnected(why))
    this.runLoop(null)
  }

  /** Stops reconnecting, removes the listeners and closes the browser. */
  async stop(): Promise<void> {
    this.stopped = true
    this.halt.abort()
    for (const unlisten of this.unlisteners.splice(0)) unlisten()
    await this.destroy()
  }

  private listen<E extends keyof WhatsAppClientEvents>(
    event: E,
    listener: WhatsAppClientEvents[E],
  ): void {
    const guarded = ((...args: unknown[]) => {
      if (!this.stopped) (listener as (...a: unknown[]) => void)(...args)
    }) as WhatsAppClientEvents[E]
    this.client.on(event, guarded)
    this.unlisteners.push(() => this.client.removeListener(event, guarded))
  }

  private set(state: ChannelState): void {
    this.current = state.state
    this.report(state)
  }

  private async onQr(qr: string): Promise<void> {
    const seq = ++this.qrSeq
    const rendered = await renderQr(qr)
    // A newer QR, `ready` or stop() may have come while rendering: the older picture is stale.
    if (seq !== this.qrSeq || this.stopped || this.current === 'connected') return
    const how = 'scan it in WhatsApp on the phone: Settings → Linked devices → Link a device'
    const lead = this.loggedOut ? 'logged out on the phone; to pair again, ' : ''
    if (rendered.dataUrl !== undefined) {
      this.set({ state: 'qr_required', detail: `${lead}${how}`, qr: rendered.dataUrl })
      this.log.info(`whatsapp: pairing QR (${how}):\n${rendered.terminal ?? qr}`)
    } else {
      this.set({
        state: 'qr_required',
        detail: `${lead}${how}; QR text (render with any QR generator): ${qr}`,
      })
      this.log.info(
        { qr },
        `whatsapp: pairing QR as text (install the qrcode package to get an image); ${how}`,
      )
    }
  }

  private onDisconnected(why: string): void {
    if (why === 'LOGOUT') {
      // The phone unlinked this device: the library clears the session and shows a new QR itself.
      this.loggedOut = true
      this.set({ state: 'error', detail: LOGGED_OUT_DETAIL })
      this.log.warn('whatsapp: logged out on the phone; not reconnecting')
      return
    }
    this.log.warn({ reason: why }, 'whatsapp: disconnected')
    this.set({ state: 'disconnected', detail: `WhatsApp Web disconnected (${why})` })
    this.runLoop(`WhatsApp Web disconnected (${why})`)
  }

  /** One initialize loop at a time; after a drop (`dropped`: why) it destroys and backs off first. */
  private runLoop(dropped: string | null): void {
    if (this.stopped) return
    if (this.loop !== null) {
      if (dropped !== null) this.droppedMeanwhile = dropped
      return
    }
    const loop = this.connectLoop(dropped)
    loop.start()
    this.loop = loop.finished.finally(() => {
      this.loop = null
      const again = this.droppedMeanwhile
      this.droppedMeanwhile = null
      if (again !== null && this.current !== 'connected') this.runLoop(again)
    })
  }

  /**
   * Initialize until it succeeds (then the client's events drive the state), the phone logs us
   * out, or stop(). After a drop (`dropped`: why) or a failed try it destroys the browser and
   * waits its reconnect backoff first. A try may take `initTimeoutMs` (2 min): the loop is alive
   * meanwhile, only waiting.
   */
  private connectLoop(dropped: string | null): SupervisedLoop {
    let pause = dropped !== null
    let last = dropped ?? ''
    return new SupervisedLoop({
      name: 'session',
      log: this.log,
      ...(this.opts.loops ? { health: this.opts.loops } : {}),
      signal: this.halt.signal,
      idleMs: 0,
      tick: async ({ keepAlive }) => {
        if (this.stopped || this.loggedOut) return 'done'
        if (pause) {
          pause = false
          await this.destroy()
          this.attempt += 1
          const ms = reconnectDelay(this.attempt, this.opts.backoff, this.opts.random)
          if (this.current !== 'error') {
            this.set({
              state: 'disconnected',
              detail: `${last}; reconnecting in ${Math.ceil(ms / 1000)} s`,
            })
          }
          return { waitMs: ms }
        }
        pause = true
        this.set({ state: 'connecting' })
        const init = this.client.initialize()
        try {
          await keepAlive(deadline(init, this.opts.initTimeoutMs, 'WhatsApp Web initialize()'))
          return 'done' // from here on the client's events drive the state
        } catch (err) {
          init.catch(() => undefined) // a late rejection after the deadline is expected
          if (this.stopped) return 'done'
          last = `WhatsApp Web did not start: ${reason(err)}`
          const launch = LAUNCH_FAILED.test(last)
          if (launch) this.set({ state: 'error', detail: `${last} (check chromium_path)` })
          this.log.error({ reason: reason(err) }, 'whatsapp: initialize failed')
          return 'busy'
        }
      },
    })
  }

  private async destroy(): Promise<void> {
    try {
      await deadline(this.client.destroy(), DESTROY_TIMEOUT_MS, 'WhatsApp Web destroy()')
    } catch (err) {
      this.log.warn({ reason: reason(err) }, 'whatsapp: destroy failed')
    }
  }
}
