/**
 * The automation engine (DESIGN §14): given a trigger, every automation on it whose conditions
 * hold acts — send, tag, assign — once per trigger and at most once per `once_per` per contact,
 * recorded in the store BEFORE it acts (`automations.claim`), so a restart or an event seen twice
 * never acts twice. A send goes through the same use-case as `POST /v1/messages` (the same
 * `rules.evaluate()`), authored `{kind: automation, id: <name>}`; a refusal is recorded (log,
 * `omnigate_automation_skipped_total`, app event `automation.skipped`) and never retried.
 */
import { describeNextOpening, isBusinessOpen } from '../../rules/index.js'
import type { ThreadRecord } from '../../store/types.js'
import type { Automation, AutomationTrigger } from '../config/automations-schema.js'
import { ApiError } from '../errors.js'
import type { Caller } from '../http/route.js'
import type { SendBody } from '../http/schemas.js'
import { send } from '../send/use-case.js'
import type { Services } from '../services.js'
import { assignThread, setThreadTags } from '../threads/use-cases.js'

/** One occurrence of a trigger. */
export interface Trigger {
  on: AutomationTrigger
  /** Unique per occurrence (`msg:<id>`, `ev:<event id>`, `silenceKey()`): what dedupes it. */
  key: string
  contactId: string
  threadId: string | null
  channel: string
  /** `webchat.opened` says it; otherwise the contact's inbound messages decide. */
  firstVisit: boolean | null
}

/** The code of a skip that was not a refusal but a failure of ours (logged as an error). */
const FAILED = 'automation_failed'

export class AutomationEngine {
  constructor(private readonly svc: Services) {}

  /** Runs the automations on `t.on` (or just `only`); never throws. */
  async handle(t: Trigger, only?: Automation): Promise<void> {
    const list = only ? [only] : this.svc.config().automations.filter((a) => a.on === t.on)
    for (const a of list) {
      try {
        await this.run(a, t)
      } catch (err) {
        this.log(a).error({ err, trigger: t.key }, 'automation failed')
      }
    }
  }

  private log(a: Automation) {
    return this.svc.log.child({ component: 'automations', automation: a.name })
  }

  private async run(a: Automation, t: Trigger): Promise<void> {
    const { svc } = this
    const now = svc.now()
    const thread = t.threadId ? await svc.store.threads.get(t.threadId) : null
    const firing = {
      automation: a.name,
      triggerKey: t.key,
      contactId: t.contactId,
      threadId: t.threadId,
      at: now.toISOString(),
    }
    if (!(await this.matches(a, t, thread, now))) {
      // A silent thread is found again every poll: remember it was looked at for this silence.
      if (t.on === 'thread.silent') {
        if ((await svc.store.automations.claim({ ...firing, oncePerMs: null })) === 'claimed')
          await svc.store.automations.skip(a.name, t.key, 'conditions', [])
      }
      return
    }
    const claim = await svc.store.automations.claim({ ...firing, oncePerMs: a.oncePerMs })
    if (claim !== 'claimed') {
      this.log(a).debug({ trigger: t.key, claim }, 'automation not run')
      return
    }
    let threadId = thread?.id ?? null
    if (a.send) {
      const sent = await this.attempt(a, t, () => this.send(a, t, thread, now))
      if (sent === null) return
      threadId ??= sent
    }
    if (threadId !== null && a.tag.length > 0) {
      const id = threadId
      const current = (await svc.store.threads.get(id))?.tags ?? []
      const tags = [...new Set([...current, ...a.tag])]
      if ((await this.attempt(a, t, () => setThreadTags(svc, id, tags, actor(a)))) === null) return
    }
    if (threadId !== null && a.assign !== null) {
      const id = threadId
      const agent = a.assign
      if ((await this.attempt(a, t, () => assignThread(svc, id, agent, actor(a)))) === null) return
    }
    svc.metrics.automationFired.inc({ automation: a.name })
    this.log(a).info(
      { trigger: t.key, thread_id: threadId, contact_id: t.contactId },
      'automation ran',
    )
  }

  /** All conditions of `if:` hold. */
  private async matches(
    a: Automation,
    t: Trigger,
    thread: ThreadRecord | null,
    now: Date,
  ): Promise<boolean> {
    const c = a.if
    const channel = thread?.channel ?? t.channel
    if (c.channel !== null && !c.channel.includes(channel)) return false
    if (c.tag !== null && !(thread?.tags ?? []).some((tag) => c.tag?.includes(tag))) return false
    if (c.outside_business_hours !== null) {
      const bh = this.svc.config().business_hours
      const outside = bh !== null && !isBusinessOpen(bh, now)
      if (outside !== c.outside_business_hours) return false
    }
    if (c.no_agent_online !== null) {
      const none = !(this.svc.presence?.anyOnline() ?? false)
      if (none !== c.no_agent_online) return false
    }
    if (c.first_visit !== null) {
      const first =
        t.firstVisit ?? (await this.svc.store.automations.inboundCount(t.contactId, 2)) <= 1
      if (first !== c.first_visit) return false
    }
    return true
  }

  /** The send, as an API send would make it; resolves the thread it went into. */
  private async send(
    a: Automation,
    t: Trigger,
    thread: ThreadRecord | null,
    now: Date,
  ): Promise<string> {
    const bh = this.svc.config().business_hours
    const variables: Record<string, string> = bh ? { next_open: describeNextOpening(bh, now) } : {}
    const content = a.send && 'text' in a.send ? { text: a.send.text } : {}
    const template = a.send && 'template' in a.send ? { template: { name: a.send.template } } : {}
    // On the thread's channel; a thread-less trigger (a visit) sends to the contact there.
    const target = thread
      ? { thread_id: thread.id }
      : { contact_id: t.contactId, channel: t.channel }
    const body: SendBody = { ...target, ...content, ...template, variables }
    const caller: Caller = { id: actor(a), role: 'app' }
    const out = await send(this.svc, body, caller, null, {
      author: { kind: 'automation', id: a.name },
    })
    const accepted = out.body as { thread_id?: unknown }
    return typeof accepted.thread_id === 'string' ? accepted.thread_id : (thread?.id ?? '')
  }

  /**
   * Runs an action; a refusal (or a failure) is recorded as the firing's skip — metric, log, app
   * event `automation.skipped` — and resolves null. Never retried: the trigger stays claimed.
   */
  private async attempt<T>(a: Automation, t: Trigger, action: () => Promise<T>): Promise<T | null> {
    try {
      return await action()
    } catch (err) {
      const refused = err instanceof ApiError
      const code = refused ? err.code : FAILED
      const log = this.log(a)
      if (refused) log.info({ trigger: t.key, code, reason: err.message }, 'automation skipped')
      else log.error({ err, trigger: t.key }, 'automation action failed; skipped')
      this.svc.metrics.automationSkipped.inc({ automation: a.name, code })
      const at = this.svc.now().toISOString()
      const data = { automation: a.name, contact_id: t.contactId, thread_id: t.threadId, code }
      await this.svc.store.automations.skip(
        a.name,
        t.key,
        code,
        this.svc.events('automation.skipped', data, at),
      )
      return null
    }
  }
}

/** Who an automation acts as, in thread events and `by` fields. */
function actor(a: Automation): string {
  return `automation:${a.name}`
}
