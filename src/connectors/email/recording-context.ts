/**
 * Test support: a `ConnectorContext` that records what the connector reports (inbound mail,
 * statuses, states) in memory, with an in-memory kv that can outlive one connector to play a
 * daemon restart. Used by the email tests; it holds no connector logic.
 */
import { pino } from 'pino'
import type {
  ChannelState,
  ConnectorContext,
  InboundMessage,
  InboundResult,
  LoopHealthSink,
  StatusUpdate,
} from '../types.js'

export interface RecordingContext extends ConnectorContext {
  inbound(msg: InboundMessage): Promise<InboundResult>
  /** Distinct inbound mails (by platform message id), as the daemon would store them. */
  inbounds: InboundMessage[]
  /** Every accepted `inbound()` call, duplicates included. */
  calls: InboundMessage[]
  statuses: StatusUpdate[]
  states: ChannelState[]
  store: Map<string, string>
  /** What the connector's loops reported, as `register imap`, `tick imap`, `error imap` … */
  loopCalls: string[]
  loops: LoopHealthSink
  /** Makes the next `times` calls to `inbound()` fail, as a daemon with a busy disk would. */
  failInbound(times: number): void
  /** Resolves when `check` holds (polled), rejects after `timeoutMs`. */
  until(check: () => boolean, timeoutMs?: number): Promise<void>
  abort(): void
}

export function recordingContext(store = new Map<string, string>()): RecordingContext {
  const controller = new AbortController()
  const inbounds: InboundMessage[] = []
  const calls: InboundMessage[] = []
  const statuses: StatusUpdate[] = []
  const states: ChannelState[] = []
  let failures = 0
  const loopCalls: string[] = []
  const report =
    (what: string) =>
    (loop: string): void =>
      void loopCalls.push(`${what} ${loop}`)
  return {
    log: pino({ level: 'silent' }),
    loopCalls,
    loops: {
      register: report('register'),
      tick: report('tick'),
      error: report('error'),
      unregister: report('unregister'),
    },
    dataDir: '/nonexistent',
    signal: controller.signal,
    inbounds,
    calls,
    statuses,
    states,
    store,
    kv: {
      get: async (key) => store.get(key) ?? null,
      set: async (key, value) => void store.set(key, value),
    },
    inbound: (msg) => {
      if (failures > 0) {
        failures--
        return Promise.reject(new Error('store unavailable'))
      }
      calls.push(msg)
      const earlier = inbounds.findIndex((m) => m.platformMessageId === msg.platformMessageId)
      if (earlier < 0) inbounds.push(msg)
      const n = earlier < 0 ? inbounds.length : earlier + 1
      return Promise.resolve({
        messageId: `msg_${n}`,
        contactId: 'ct_1',
        threadId: 'th_1',
        created: earlier < 0,
      })
    },
    status: (update) => {
      statuses.push(update)
      return Promise.resolve()
    },
    reachability: () => Promise.resolve(),
    state: (state) => void states.push(state),
    failInbound: (times) => {
      failures = times
    },
    until: async (check, timeoutMs = 8_000) => {
      const deadline = Date.now() + timeoutMs
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    },
    abort: () => controller.abort(),
  }
}
