/**
 * Test helpers shared by the connector suites: a ConnectorContext that records what a connector
 * reports (with an in-memory kv), a poller, and builders for outbound payloads and attachments.
 */
import pino from 'pino'
import type {
  ChannelState,
  ConnectorContext,
  InboundMessage,
  InboundResult,
  LoopHealthSink,
  OutboundAttachment,
  OutboundPayload,
  StatusUpdate,
} from '../../src/connectors/types.js'

/** A `ConnectorContext` that records what a connector reports, with an in-memory kv. */
export interface RecordingContext extends ConnectorContext {
  inbounds: InboundMessage[]
  statuses: StatusUpdate[]
  states: ChannelState[]
  reach: Array<{ address: string; reachable: boolean }>
  kvData: Map<string, string>
  /** What the connector's loops reported, as `register polling`, `tick polling`, `error …`. */
  loopCalls: string[]
  loops: LoopHealthSink
  /** The most recent state reported. */
  lastState(): ChannelState | undefined
  /** Make the next `times` inbound calls throw (the daemon's store failing). */
  failInbound(times: number): void
  /** Abort `signal` (the daemon stopping). */
  abort(): void
}

export function recordingContext(
  opts: { kv?: Map<string, string>; onInbound?: (msg: InboundMessage) => void } = {},
): RecordingContext {
  const controller = new AbortController()
  const kvData = opts.kv ?? new Map<string, string>()
  const inbounds: InboundMessage[] = []
  const states: ChannelState[] = []
  const statuses: StatusUpdate[] = []
  const reach: Array<{ address: string; reachable: boolean }> = []
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
    statuses,
    states,
    reach,
    kvData,
    inbound: (msg): Promise<InboundResult> => {
      if (failures > 0) {
        failures--
        return Promise.reject(new Error('store unavailable'))
      }
      const created = !inbounds.some((m) => m.platformMessageId === msg.platformMessageId)
      inbounds.push(msg)
      opts.onInbound?.(msg)
      return Promise.resolve({
        messageId: `msg_${inbounds.length}`,
        contactId: 'ct_1',
        threadId: 'th_1',
        created,
      })
    },
    status: (update) => {
      statuses.push(update)
      return Promise.resolve()
    },
    reachability: (address, reachable) => {
      reach.push({ address, reachable })
      return Promise.resolve()
    },
    state: (s) => void states.push(s),
    kv: {
      get: async (k) => kvData.get(k) ?? null,
      set: async (k, v) => void kvData.set(k, v),
    },
    lastState: () => states[states.length - 1],
    failInbound(times) {
      failures = times
    },
    abort: () => controller.abort(),
  }
}

/** Poll `check` (sync or async) until it gives a truthy value (or throw after `ms`). */
export async function waitFor<R>(
  check: () => R,
  ms = 5000,
): Promise<Exclude<Awaited<R>, undefined | null | false>> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v) return v as Exclude<Awaited<R>, undefined | null | false>
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** An outbound payload as the dispatcher builds it, with test defaults. */
export function outboundPayload(o: Partial<OutboundPayload> & { to: string }): OutboundPayload {
  return {
    messageId: 'msg_01TEST',
    channel: 'ch',
    threadId: 'th_1',
    contact: { id: 'ct_1', firstName: 'Ana', lastName: null },
    text: null,
    template: null,
    attachments: [],
    email: null,
    createdAt: new Date().toISOString(),
    attempt: 1,
    signal: new AbortController().signal,
    ...o,
  }
}

/** An attachment whose bytes are `data` and whose signed link is `url`. */
export function testAttachment(
  filename: string,
  contentType: string,
  data: Buffer,
  url = `https://gw.example/v1/attachments/${filename}?exp=1&sig=x`,
): OutboundAttachment {
  return {
    id: `at_${filename}`,
    filename,
    contentType,
    size: data.length,
    sha256: 'x',
    url,
    read: () => Promise.resolve(data),
  }
}
