/**
 * The snooze waker: every second, snoozed threads whose `snoozed_until` has passed become open
 * again (event `woke`). On the supervised loop, so a failed pass is logged, counted and retried.
 * It polls rather than arming a timer at the next `snoozed_until`: a snooze set through another
 * daemon (PostgreSQL) would not re-arm this one's timer, and the poll is one probe of a partial
 * index (threads_snoozed) per second.
 */
import { SupervisedLoop } from '../connectors/shared/supervised-loop.js'
import type { Services } from './services.js'

/** How often snoozed threads are checked for waking: the granularity of `snoozed_until`. */
const WAKE_EVERY_MS = 1000

export function snoozeWaker(svc: Services): SupervisedLoop {
  const log = svc.log.child({ component: 'snooze' })
  return new SupervisedLoop({
    name: 'snooze',
    log,
    health: svc.health,
    idleMs: WAKE_EVERY_MS,
    tick: async () => {
      const woke = await svc.store.threads.wakeDue(svc.now().toISOString())
      if (woke.length > 0) log.info({ count: woke.length }, 'snoozed threads woke')
      return 'idle' as const
    },
  })
}
