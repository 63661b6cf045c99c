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
