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
  const unknown = checkTagsAllowed(channel, added)
  if (unknown !== null) return unknown
  if (existing.length + added.length > 0) return null
  const choice = Array.isArray(required) ? ` (one of ${quoteList(required)})` : ''
  return refusal(
    'tags_required',
    `Channel "${channel.name}" needs at least one tag on the thread before a message goes out: ` +
      `add one in tags${choice}.`,
    `channels.${channel.name}.rules.mandatory_tags`,
    Array.isArray(required) ? { allowed: required } : undefined,
  )
}

/**
 * `tag_unknown` for the first of `tags` outside the channel's allowed list (`mandatory_tags` as a
 * list), else null. Every place that puts tags on a thread asks here: a send, a new thread, `PUT
 * …/tags`.
 */
export function checkTagsAllowed(channel: ChannelInfo, tags: readonly string[]): Refusal | null {
  const allowed = channel.rules.mandatory_tags
  if (!Array.isArray(allowed)) return null
  const unknown = tags.find((t) => !allowed.includes(t))
  if (unknown === undefined) return null
  return refusal(
    'tag_unknown',
    `Tag "${unknown}" is not allowed on channel "${channel.name}": use one of ` +
      `${quoteList(allowed)}.`,
    `channels.${channel.name}.rules.mandatory_tags`,
    { tag: unknown, allowed },
  )
}
