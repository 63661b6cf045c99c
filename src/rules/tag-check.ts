/**
 * Step 7 of DESIGN §5: mandatory tags. Only the tags this request adds are checked against an
 * allowed list: a thread's older tags may predate the list.
 */
import { quoteList, refusal, type Refusal } from './refusal.js'
import type { ChannelInfo } from './types.js'

/** Step 7: the thread's tags after this request's, against `mandatory_tags`. */
export function checkTags(
  channel: ChannelInfo,
  existing: readonly string[],
  added: readonly string[],
): Refusal | null {
  const required = channel.rules.mandatory_tags
  if (required === false) return null
  const rule = `channels.${channel.name}.rules.mandatory_tags`
  if (Array.isArray(required)) {
    const unknown = added.find((t) => !required.includes(t))
    if (unknown !== undefined) {
      return refusal(
        'tag_unknown',
        `Tag "${unknown}" is not allowed on channel "${channel.name}": use one of ` +
          `${quoteList(required)}.`,
        rule,
        { tag: unknown, allowed: required },
      )
    }
  }
  if (existing.length + added.length > 0) return null
  const choice = Array.isArray(required) ? ` (one of ${quoteList(required)})` : ''
  return refusal(
    'tags_required',
    `Channel "${channel.name}" needs at least one tag on the thread before a message goes out: ` +
      `add one in tags${choice}.`,
    rule,
    Array.isArray(required) ? { allowed: required } : undefined,
  )
}
