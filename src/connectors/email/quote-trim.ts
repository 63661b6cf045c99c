/**
 * Drops the quoted previous mail a reply carries below the new text, so agents read what the
 * customer wrote, not the whole conversation again. Only a quote that can be told apart is cut:
 * a trailing block of `>` lines (with the "On … wrote:" line that introduces it) or everything
 * from an Outlook "-----Original Message-----" line (or its underscore rule over a From: line).
 * Quotes between paragraphs (inline answers) stay, and a mail that would be left empty is kept
 * whole.
 */

// The attribution line clients put above a quote; it may wrap over two lines.
const ATTRIBUTION = [
  /^On\b[\s\S]{0,300}\bwrote:\s*$/i, // Gmail, Apple Mail, Thunderbird
  /^Am\b[\s\S]{0,300}\bschrieb[\s\S]{0,120}:\s*$/i, // German clients
  /^Le\b[\s\S]{0,300}\ba \u00e9crit\s*:\s*$/i, // French clients ("a écrit")
  /^El\b[\s\S]{0,300}\bescribi\u00f3:\s*$/i, // Spanish clients ("escribió")
]
const OUTLOOK_SEPARATOR =
  // "Urspr\u00fcngliche": an escape, the bundle is ASCII (scripts/bundle.mjs).
  /^\s*-{2,}\s*(Original Message|Urspr\u00fcngliche Nachricht|Message d'origine)\s*-{2,}\s*$/i
// Newer Outlook: a rule of underscores, then the quoted mail's own header lines.
const OUTLOOK_RULE = /^_{20,}\s*$/
const OUTLOOK_HEADER = /^(From|Von|De)\s?:/i

/** The new part of a reply; `text` unchanged when no trailing quote can be told apart. */
export function trimQuotedReply(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  const outlook = lines.findIndex(
    (line, i) =>
      OUTLOOK_SEPARATOR.test(line) ||
      (OUTLOOK_RULE.test(line) && OUTLOOK_HEADER.test(lines[i + 1] ?? '')),
  )
  let end = outlook >= 0 ? outlook : trailingQuoteStart(lines)
  if (end === lines.length) return text
  end = dropAttribution(lines, end)
  const kept = lines.slice(0, end).join('\n').replace(/\s+$/, '')
  return kept.trim() === '' ? text : kept
}

/** Index of the first line of the `>` block that runs (blank lines aside) to the end. */
function trailingQuoteStart(lines: string[]): number {
  let start = lines.length
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? ''
    if (line.trim() === '') continue
    if (!line.startsWith('>')) break
    start = i
  }
  return start
}

/** Moves `end` above the attribution line (one or two lines) right before the quote, if any. */
function dropAttribution(lines: string[], end: number): number {
  let i = end - 1
  while (i >= 0 && (lines[i] ?? '').trim() === '') i--
  if (i < 0) return end
  const last = (lines[i] ?? '').trim()
  if (ATTRIBUTION.some((re) => re.test(last))) return i
  const twoLines = `${(lines[i - 1] ?? '').trim()} ${last}`
  if (i >= 1 && ATTRIBUTION.some((re) => re.test(twoLines))) return i - 1
  return end
}
