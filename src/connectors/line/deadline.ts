/**
 * @line/bot-sdk 10 calls the global fetch without an AbortSignal, so a deadline is a race: the
 * caller stops waiting when its signal aborts or `timeoutMs` passes, and the orphaned request
 * finishes (or fails) on its own. Safe for pushes because the retry carries the same retry key.
 */
import { LineDeadlineError } from './send-error.js'

export async function withDeadline<T>(
  call: () => Promise<T>,
  caller: AbortSignal,
  timeoutMs: number,
): Promise<T> {
  if (caller.aborted) throw new LineDeadlineError(true)
  const signal = AbortSignal.any([caller, AbortSignal.timeout(timeoutMs)])
  const pending = call()
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new LineDeadlineError(false))
    signal.addEventListener('abort', onAbort, { once: true })
    pending.finally(() => signal.removeEventListener('abort', onAbort)).then(resolve, reject)
  })
}
