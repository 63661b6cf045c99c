/**
 * Pacing: when a leased job may be sent, so that no channel and no recipient goes above its rate
 * (DESIGN §8). Four pacers per channel: two strict ones reserve slots for sends about to happen
 * (the channel's, each recipient's; the channel's also keeps the slot of a job waiting in the
 * store for its recipient's turn), a calendar and a recipient planner give far-off jobs a due
 * time to wait for in the store. Right before the hand-over, the wire spacing (wire-spacing.ts)
 * holds a send until the channel's and the recipient's last sends, as written, leave room for it.
 * Where the store shares slots among daemons (PostgreSQL), a send first takes its shared slot
 * (shared-slots.ts) and the wire spacing applies on top.
 */
import type { Connector } from '../../connectors/types.js'
import type { ChannelRules } from '../../rules/types.js'
import type { OutboxJob, SharedPacing, SharedSlot } from '../../store/types.js'
import { loopLag } from './loop-lag.js'
import { Pacer, SlotCalendar, SlotSchedule } from './rate-limiter.js'
import { sendJitterMs } from './send-jitter.js'
import { SHARED_LATE_MS, sharedLimits } from './shared-slots.js'
import { WireSpacing, type StartedSend } from './wire-spacing.js'

/**
 * Platforms count sends where they arrive, and ours reach them a few ms early or late: sends are
 * planned at 98 % of a limit, so the receiving end stays under it and within 5 % of it (DESIGN §8,
 * P6). The actual sends are spaced by `WIRE_MARGIN_MS` below, which this plan leaves room for.
 */
const RATE_HEADROOM = 0.98
/**
 * Each limit's one-second window of sends, as written, is kept this much longer (what the 2 %
 * headroom gives at any rate), plus the event loop's recent lag (loop-lag.ts): the margin for what
 * moves our sends closer together on their way to the receiver's count.
 */
const WIRE_MARGIN_MS = 20
/**
 * A send that counts against one handed over but not written yet (a new connection) waits for
 * that write at most this long: a connect on loopback takes < 1 ms, over the internet with TLS a
 * few hundred. A connector that cannot report its writes is waited for once, for its first send.
 */
const WRITE_WAIT_MAX_MS = 1000
/** Jobs are held in memory for their rate slot at most this long; later slots go back to the store. */
const HOLD_MAX_MS = 1000
/**
 * A job waiting for its recipient's turn keeps its exact slot in the channel's schedule when the
 * turn is at most this far off (a recipient's long queue is kept a minute ahead, not all of it:
 * the schedule is a sorted array), and comes back from the store this long before it.
 */
const KEEP_MAX_MS = 60_000
const KEPT_LEAD_MS = 100
/**
 * A shared slot is asked for a lead before the send it is for, and is no earlier than that: the
 * time to build the job's payload meanwhile (its contact read) and to get the answer, so the slot
 * is not already past when the send is ready (a send more than `SHARED_LATE_MS` after its slot
 * takes a new one, at the back of the line). Asked for in lease order (`reserveShared`), so a
 * lease's first jobs — single sends before bulks — get the earliest slots among all daemons. The
 * lead follows what jobs took (an average of the time from a job's planned slot to its being
 * ready, 1.5× that plus 3 ms), less half of the `SHARED_LATE_MS` a send may leave after its slot:
 * a slot at the expected readiness itself made each send wait out a margin of its own, holding
 * its concurrency slot (PostgreSQL's drain, P7, ran ≈ 10 % slower). Within these bounds (ms): a
 * send waits that much on an idle channel, and a concurrency slot is held meanwhile, so it is kept
 * as short as the store allows.
 */
const SHARED_LEAD_MIN_MS = 5
const SHARED_LEAD_MAX_MS = 100
/** The lead before anything was measured (a few round trips on a loaded machine). */
const SHARED_LEAD_START_MS = 20
/** Weight of the latest measurement in the average. */
const SHARED_LEAD_WEIGHT = 0.2

/** A shared slot asked for in lease order (`reserveShared`), to be claimed by `claimWire`. */
export interface SharedAsk {
  slot: Promise<SharedSlot>
  /** When the job was planned to be ready to go (ms): its lead is measured from here. */
  from: number
}

/** A channel's rates, as configured (sends per second). */
export type ChannelRate = ChannelRules['rate']

interface Pacing {
  /** The channel's and each recipient's limit as configured (sends per second). */
  chLimit: number
  rcptLimit: number
  /**
   * Strict: spaces actual sends on the channel (any room between the sends reserved), and
   * keeps the slots of jobs waiting in the store for their recipient's turn.
   */
  ch: SlotSchedule
  /** Strict: spaces actual sends to one recipient. */
  rcpt: Pacer
  /** Plans due times of jobs that wait in the store. */
  calendar: SlotCalendar
  rcptPlan: Pacer
}

/** Where a leased job's rate slot lies. */
export type SlotDecision =
  /** Too far off to hold in memory: back to the store, due at `due` (ms). */
  | { kind: 'hold'; due: number }
  /** Reserved: send at `at` (ms; now or a moment later). */
  | { kind: 'send'; at: number }

/** What `claimWire` decided. */
export type WireClaim =
  /** Hand the send over now, with `wire.written` as its `onWrite`. */
  | { kind: 'send'; wire: StartedSend }
  /** Not to be sent any more (its bulk was cancelled). */
  | { kind: 'dropped' }
  /** The shared slot is too far off: back to the store, due at `due` (ms). */
  | { kind: 'hold'; due: number }

export class ChannelPacing {
  /** Times planned for jobs released to wait for their rate slot (job id → ms, and whether
   * the slot is kept for it in the channel's schedule). */
  private readonly planned = new Map<number, { at: number; kept: boolean }>()
  private readonly pacings = new Map<string, Pacing>()
  /** When sends actually left, per channel (`c:`) and recipient (`r:`). */
  private readonly lag = loopLag() // probing from now, so the first sends see the load too
  private readonly spacing = new WireSpacing(() => WIRE_MARGIN_MS + this.lag.current())
  /** Connectors seen to finish a send without reporting its write: never held back for it. */
  private readonly silent = new WeakSet<Connector>()
  /** Average time (ms) from a job's planned slot to its being ready (payload, shared answer). */
  private readyMs = (SHARED_LEAD_START_MS - 3) / 1.5

  /**
   * `rateOf` reads a channel's rates from the live config (a reload may change them); `shared`
   * is the store's shared slots, where it has them (`Store.pacing`).
   */
  constructor(
    private readonly rateOf: (channel: string) => ChannelRate,
    private readonly shared?: SharedPacing,
  ) {}

  /**
   * The job's send slot: its earliest time (the recipient's next turn after every send planned
   * for it, or the time planned for the job when it went back to the store), then the channel's
   * first room at or after it — also between slots already reserved for others, so a recipient's
   * turn a second ahead leaves the channel free until then. Slots more than `HOLD_MAX_MS` off
   * send the job back to the store to wait (`hold`). `jittered` (the connector's `sendJitter`)
   * adds a random pause, reserved with the slot, so never above the rate.
   */
  slot(job: OutboxJob, jittered: boolean, now: number = Date.now()): SlotDecision {
    const pace = this.pacing(job.channel)
    const key = job.recipientKey
    const plan = this.planned.get(job.jobId)
    this.planned.delete(job.jobId)
    if (plan?.kept) pace.ch.release(plan.at) // kept for this job: it takes it now
    const turn = Math.max(
      now,
      plan ? Math.max(plan.at, pace.rcpt.nextFree(key, now)) : pace.rcptPlan.nextFree(key, now),
    )
    let slot = pace.ch.nextFree(turn, now)
    if (slot - now > HOLD_MAX_MS) return this.hold(job, pace, turn, slot, now)
    const jitter = sendJitterMs(jittered, pace.ch.intervalMs)
    if (jitter > 0) slot = pace.ch.nextFree(slot + jitter, now)
    pace.ch.reserve(slot)
    pace.rcpt.reserve(key, slot)
    pace.rcptPlan.reserve(key, slot)
    return { kind: 'send', at: slot }
  }

  /**
   * A job whose slot is too far off goes back to the store with a due time planned once, so a
   * long queue is not leased and released over and over:
   * - waiting for its recipient's turn, its slot is kept in the channel's strict schedule, so
   *   the jobs leased meanwhile leave it free, and it comes back `KEPT_LEAD_MS` before it (a
   *   turn planned for later than `KEEP_MAX_MS` comes back to be kept when it is nearer);
   * - waiting for room on the channel, it gets a cell of the channel's calendar, the first free
   *   one, also before cells planned further ahead — one recipient's far-off turn never holds
   *   back everyone else. Such a job takes whatever room the channel has when it comes back:
   *   single sends leased meanwhile go first.
   */
  private hold(
    job: OutboxJob,
    pace: Pacing,
    turn: number,
    slot: number,
    now: number,
  ): SlotDecision {
    const key = job.recipientKey
    if (turn - now <= HOLD_MAX_MS) {
      const due = Math.ceil(pace.calendar.plan(slot, now))
      pace.rcptPlan.reserve(key, due)
      this.planned.set(job.jobId, { at: due, kept: false })
      return { kind: 'hold', due }
    }
    if (turn - now > KEEP_MAX_MS) {
      pace.rcptPlan.reserve(key, turn)
      this.planned.set(job.jobId, { at: turn, kept: false })
      return { kind: 'hold', due: Math.ceil(turn - KEEP_MAX_MS / 2) }
    }
    pace.ch.reserve(slot)
    pace.calendar.book(slot, now)
    pace.rcptPlan.reserve(key, slot)
    this.planned.set(job.jobId, { at: slot, kept: true })
    return { kind: 'hold', due: Math.floor(slot - KEPT_LEAD_MS) }
  }

  /** How long before a job's planned slot its shared slot is asked for (ms). */
  get sharedLeadMs(): number {
    const lead = this.readyMs * 1.5 + 3 - SHARED_LATE_MS / 2
    return Math.round(Math.min(SHARED_LEAD_MAX_MS, Math.max(SHARED_LEAD_MIN_MS, lead)))
  }

  /**
   * The job's shared slot (where the store shares them), asked for now: call it in lease order,
   * `sharedLeadMs` before the job's planned slot `plannedAt` (`slot()`), so the shared slots go in
   * the order the lease gave the jobs. Undefined without shared slots. The answer is awaited by
   * `claimWire`; a job that ends before (its payload refused, its bulk cancelled) leaves its slot
   * unused, which only spaces the channel's sends a little more.
   */
  reserveShared(job: OutboxJob, plannedAt: number): SharedAsk | undefined {
    const limits =
      this.shared && sharedLimits(job.channel, job.recipientKey, this.rateOf(job.channel))
    if (!this.shared || !limits) return undefined
    const slot = this.shared.reserve(limits, HOLD_MAX_MS, this.sharedLeadMs)
    slot.catch(() => undefined) // its error is met where it is awaited, or nowhere if unused
    return { slot, from: Math.max(Date.now(), plannedAt) }
  }

  /**
   * A busy event loop can wake a held send late and the next one on time, and a send on a new
   * connection is written only after the connect: wait until the channel's and the recipient's
   * last sends, as written, leave room for this one (wire-spacing.ts), so the receiving end never
   * sees more than the limit in one second, then claim that room. With shared slots, the send
   * first waits for its slot among all daemons, and takes a new one if it would leave more than
   * `SHARED_LATE_MS` after it. `dropped` when `dropped()` says the job is not to be sent any more
   * (its bulk was cancelled): checked after every wait, right before the claim, so after a cancel
   * answered nothing of the bulk is handed over any more; where the store is shared by several
   * daemons, `recheck` (a bulk job's) reads whether another daemon cancelled it meanwhile, right
   * before the claim, and `dropped()` is asked again. `asked` is the shared slot reserved in
   * lease order (`reserveShared`); a new one is asked for only when it was missed. A store error
   * (shared slots) throws.
   */
  async claimWire(
    job: OutboxJob,
    dropped: () => boolean,
    asked?: SharedAsk,
    recheck?: () => Promise<unknown>,
  ): Promise<WireClaim> {
    const pace = this.pacing(job.channel, false)
    const limits = [
      { key: `c:${job.channel}`, perSecond: pace.chLimit },
      { key: `r:${job.channel}:${job.recipientKey}`, perSecond: pace.rcptLimit },
    ]
    const shared = this.shared
    const sharedFor =
      shared && sharedLimits(job.channel, job.recipientKey, this.rateOf(job.channel))
    let first = asked
    for (;;) {
      let latest = Infinity
      if (shared && sharedFor) {
        const slot = await (first?.slot ??
          shared.reserve(sharedFor, HOLD_MAX_MS, this.sharedLeadMs))
        if (first) this.learnLead(Date.now() - first.from)
        first = undefined
        if (!slot.reserved) return { kind: 'hold', due: Math.ceil(slot.at) }
        const wait = slot.at - Date.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, Math.ceil(wait)))
        latest = slot.at + SHARED_LATE_MS
      }
      for (;;) {
        await this.spacing.ready(limits)
        if (dropped()) return { kind: 'dropped' }
        if (recheck) {
          await recheck()
          if (dropped()) return { kind: 'dropped' }
        }
        if (Date.now() > latest) break // too late for the shared slot: take a new one
        const wire = this.spacing.tryStart(limits)
        if (wire) return { kind: 'send', wire }
      }
    }
  }

  /** One job was ready `ms` after its planned slot (payload built, shared slot answered). */
  private learnLead(ms: number): void {
    this.readyMs += SHARED_LEAD_WEIGHT * (Math.max(0, ms) - this.readyMs)
  }

  /** Right after `connector.send()` was called with `wire.written` as its `onWrite`. */
  handedOver(connector: Connector, wire: StartedSend): void {
    if (!this.silent.has(connector)) wire.expectWrite(WRITE_WAIT_MAX_MS)
  }

  /** The send was accepted: a connector that never reported the write is not waited for again. */
  accepted(connector: Connector, wire: StartedSend): void {
    if (!wire.wasWritten()) this.silent.add(connector)
  }

  /** The channel's pacers, at its current rates unless `refresh` is false. */
  private pacing(channel: string, refresh = true): Pacing {
    const existing = this.pacings.get(channel)
    if (existing && !refresh) return existing
    const rate = this.rateOf(channel)
    const chRate = rate.per_second * RATE_HEADROOM
    const rcptRate = rate.per_recipient_per_second * RATE_HEADROOM
    let p = existing
    if (!p) {
      p = {
        chLimit: rate.per_second,
        rcptLimit: rate.per_recipient_per_second,
        ch: new SlotSchedule(chRate),
        rcpt: new Pacer(rcptRate),
        calendar: new SlotCalendar(chRate),
        rcptPlan: new Pacer(rcptRate),
      }
      this.pacings.set(channel, p)
    }
    p.chLimit = rate.per_second
    p.rcptLimit = rate.per_recipient_per_second
    p.ch.setRate(chRate)
    p.rcpt.setRate(rcptRate)
    p.calendar.setRate(chRate)
    p.rcptPlan.setRate(rcptRate)
    return p
  }
}
