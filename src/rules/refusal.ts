/**
 * One refusal in the making: what the checks return before `evaluate()` turns it into a `Decision`
 * with the state it knows (allowed kinds, window end, address).
 */
import type { RefusalCode } from './types.js'

export interface Refusal {
  code: RefusalCode
  /** A sentence a person can act on. */
  message: string
  /** The config path that decided, when a config key did (a blocked contact is data). */
  rule?: string
  details?: Record<string, unknown>
}

/** The failing side of every check's outcome. */
export type Failed = { ok: false; refusal: Refusal }

/** Builds a refusal, leaving out `rule` and `details` when not given. */
export function refusal(
  code: RefusalCode,
  message: string,
  rule?: string,
  details?: Record<string, unknown>,
): Refusal {
  return {
    code,
    message,
    ...(rule === undefined ? {} : { rule }),
    ...(details === undefined ? {} : { details }),
  }
}

/** A failed check outcome; same arguments as `refusal()`. */
export function fail(...args: Parameters<typeof refusal>): Failed {
  return { ok: false, refusal: refusal(...args) }
}

/** `variable_missing` for a variable of a text, a template or an email subject. */
export function missingVariable(variable: string, templateName?: string): Failed {
  return fail(
    'variable_missing',
    `Variable "${variable}" has no value for this contact and no default: pass it in variables, ` +
      `or write {{${variable}|fallback}}.`,
    templateName === undefined ? undefined : `templates.${templateName}`,
    { variable },
  )
}

/** `"a", "b"` for messages. */
export function quoteList(items: readonly string[]): string {
  return items.map((i) => `"${i}"`).join(', ')
}
