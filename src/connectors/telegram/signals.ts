/** AbortSignal helpers for the Telegram connector. */
import type { Api } from 'grammy'

/** grammY types its signals with the `abort-controller` polyfill. */
export type GrammySignal = NonNullable<Parameters<Api['getMe']>[0]>

/**
 * Node's own AbortSignal for grammY: at run time grammY only needs `aborted` and
 * `addEventListener`, which the native signal has; only the declared type differs.
 */
export function g(signal: AbortSignal): GrammySignal {
  return signal as unknown as GrammySignal
}

/** An abortable pause: resolves early (never rejects) when `signal` aborts, so stop() is quick. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve()
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}
