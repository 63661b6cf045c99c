/**
 * A webhook relay in a process of its own that records when each request arrives, for tests of
 * rate limits "at the receiving end" (DESIGN §8, P6). An in-process fake stamps a request when
 * the test process's event loop gets to it — the same loop the gateway runs on, so a stall there
 * (an fsync, a burst of work) delays one stamp and bunches it with the next even though the
 * requests left spaced. Answers every request 200.
 *
 *   const relay = await startArrivalRecorder()
 *   // point the channel's `url` at relay.url, send …
 *   const got = await relay.arrivals() // [{at, address, key}], in arrival order
 *   await relay.close()
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { setPriority } from 'node:os'

export interface Arrival {
  /** Ms on the recorder's monotonic clock (only differences mean anything). */
  at: number
  /** The body's `to.address`. */
  address: string | null
  /** The `Idempotency-Key` header (our message id). */
  key: string | null
}

export interface ArrivalRecorder {
  readonly url: string
  arrivals(): Promise<Arrival[]>
  close(): Promise<void>
}

const CHILD = new URL('./arrival-recorder-process.mjs', import.meta.url).pathname

export async function startArrivalRecorder(): Promise<ArrivalRecorder> {
  const child = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [ready] = (await once(child, 'message')) as [{ url: string }]
  // A platform's clock does not wait for our CPU: where allowed (root, as in CI), the recorder
  // runs ahead of the machine's other work, like the bench's relay.
  try {
    if (child.pid !== undefined) setPriority(child.pid, -10)
  } catch {
    // not allowed: the stamps may carry the machine's scheduling jitter
  }
  return {
    url: ready.url,
    async arrivals() {
      child.send('arrivals')
      const [m] = (await once(child, 'message')) as [{ arrivals: Arrival[] }]
      return m.arrivals
    },
    async close() {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.disconnect()
      await exited
    },
  }
}
