/**
 * The automations' singleton (DESIGN §10, §14), run by the scheduler in exactly one daemon: it
 * subscribes to the live bus — which carries every daemon's events on PostgreSQL — for the event
 * triggers (`message.inbound`, `webchat.opened`, `thread.closed`), and polls the store for silent
 * threads (`thread.silent`) on the supervised loop. Events are handled one after the other, off
 * the publisher's turn. Nothing it needs lives in memory: the store records each firing, so a new
 * leader (or a restart) neither repeats what was done nor misses a silence. An event published
 * while no daemon leads is not replayed (the bus delivers at most once).
 */
import { SupervisedLoop } from '../../connectors/shared/supervised-loop.js'
import { silenceKey } from '../../store/types.js'
import type { Singleton } from '../cluster/scheduler.js'
import type { LiveEvent } from '../live/bus.js'
import type { Services } from '../services.js'
import { AutomationEngine, type Trigger } from './engine.js'

/**
 * How often silent threads are looked for: `after` is hours or days, so a minute's lateness does
 * not matter, and each poll reads every open thread's last message.
 */
const SILENCE_POLL_MS = 30_000
/** Silent threads taken per automation per poll; a full page polls again at once. */
const SILENCE_PAGE = 100

export interface AutomationRunner extends Singleton {
  /** Resolves once every event received so far has been handled (tests). */
  idle(): Promise<void>
  /** One pass over the silent threads of every `thread.silent` automation; true if a page was full. */
  pollSilent(): Promise<boolean>
}

export function automationRunner(svc: Services): AutomationRunner {
  const engine = new AutomationEngine(svc)
  const log = svc.log.child({ component: 'automations' })
  let chain: Promise<void> = Promise.resolve()
  let unsubscribe: (() => void) | null = null
  const pollSilent = async (): Promise<boolean> => {
    let full = false
    const now = svc.now().getTime()
    for (const a of svc.config().automations) {
      if (a.on !== 'thread.silent' || a.afterMs === null) continue
      const threads = await svc.store.automations.silentThreads({
        automation: a.name,
        before: new Date(now - a.afterMs).toISOString(),
        channels: a.if.channel,
        limit: SILENCE_PAGE,
      })
      full ||= threads.length === SILENCE_PAGE
      for (const t of threads) {
        const trigger: Trigger = {
          on: 'thread.silent',
          key: silenceKey(t.id, t.last_at),
          contactId: t.contact_id,
          threadId: t.id,
          channel: t.channel,
          firstVisit: null,
        }
        await engine.handle(trigger, a)
      }
    }
    return full
  }
  const loop = new SupervisedLoop({
    name: 'automations',
    log,
    health: svc.health,
    idleMs: SILENCE_POLL_MS,
    tick: async () => ((await pollSilent()) ? 'busy' : 'idle'),
  })
  return {
    start() {
      unsubscribe = svc.live.subscribe((events) => {
        for (const e of events) {
          const t = triggerOf(e)
          if (t === null) continue
          // Off the publisher's turn, one at a time: the bus's listeners must not block.
          chain = chain.then(() => engine.handle(t))
        }
      })
      loop.start()
    },
    async stop() {
      unsubscribe?.()
      unsubscribe = null
      await loop.stop()
      await chain
    },
    idle: () => chain,
    pollSilent,
  }
}

/**
 * The trigger a live event is, or null. Events caused by an automation never trigger one (no
 * reply loops): automations only send, tag and assign, none of which is a trigger, and an event
 * naming an automation as its actor is dropped all the same.
 */
function triggerOf(e: LiveEvent): Trigger | null {
  const d = e.data
  const str = (k: string): string | null => (typeof d[k] === 'string' ? d[k] : null)
  const by = str('by')
  const author = d['author']
  if (by?.startsWith('automation:')) return null
  if (typeof author === 'object' && author !== null && 'kind' in author) {
    if (author.kind === 'automation') return null
  }
  const contactId = str('contact_id')
  const channel = str('channel')
  if (contactId === null || channel === null) return null
  const threadId = str('thread_id')
  switch (e.type) {
    case 'message.inbound': {
      const messageId = str('message_id')
      if (messageId === null) return null
      return {
        on: 'message.inbound',
        key: `msg:${messageId}`,
        contactId,
        threadId,
        channel,
        firstVisit: null,
      }
    }
    case 'webchat.opened':
      return {
        on: 'webchat.opened',
        key: `ev:${e.id}`,
        contactId,
        threadId,
        channel,
        firstVisit: typeof d['first_visit'] === 'boolean' ? d['first_visit'] : null,
      }
    case 'thread.closed':
      if (threadId === null) return null
      return {
        on: 'thread.closed',
        key: `ev:${e.id}`,
        contactId,
        threadId,
        channel,
        firstVisit: null,
      }
    default:
      return null
  }
}
