/**
 * Opt-out keywords (DESIGN §15): an inbound message IS a keyword when its whole trimmed text
 * equals one, in any letter case. "please don't STOP sending" is a sentence, not an opt-out.
 */
import type { ChannelRules } from '../../rules/types.js'

/** What an inbound text asks for on a channel with these rules; null: nothing (or the rule is off). */
export function keywordIntent(
  rules: Pick<ChannelRules, 'opt_out'>,
  text: string | null,
): { status: 'opted_out' | 'opted_in'; keyword: string } | null {
  const o = rules.opt_out
  if (o === null || text === null) return null
  // The config stores keywords upper-cased (merge-rules.ts); inner whitespace is not folded.
  const said = text.trim().toUpperCase()
  if (said === '') return null
  if (o.keywords.includes(said)) return { status: 'opted_out', keyword: said }
  if (o.resume.includes(said)) return { status: 'opted_in', keyword: said }
  return null
}
