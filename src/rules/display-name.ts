/**
 * Display names (DESIGN §1.5 personalisation): WhatsApp's profile name, LINE's `displayName`, a
 * WhatsApp Web push name and an email `From:` phrase are one string, while `{{first_name}}` should
 * greet by the first name only. Pure: a string in, the parts out.
 */

/** What a platform's single name splits into. */
export interface DisplayNameParts {
  /** The name to greet by; null when the display name is not a person's name. */
  firstName: string | null
  lastName: string | null
  /** The whole, tidied (trimmed, inner spaces collapsed); null when nothing is left. */
  displayName: string | null
}

// Scripts written family name first, usually without a space (山田太郎, 王小明, 김민준): where the
// family name ends can't be told from the text, and a space-split would file the family name as
// the first name. The whole is kept as the first name: "Hi 山田太郎" reads right, a wrong guess
// greets someone by half of their name.
const FAMILY_FIRST_SCRIPT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u
const LETTER = /\p{L}/u
const DIGIT = /\p{Nd}/gu
const LETTERS = /\p{L}/gu
// After a comma these end a name rather than start the given name ("Jane Doe, Jr.").
const SUFFIXES = new Set(['jr', 'sr', 'ii', 'iii', 'iv', 'phd', 'md', 'esq'])
// Email phrases arrive quoted at times ("\"Bo\""); only a pair around the whole is dropped, so an
// apostrophe inside a name (O'Brien) stays.
// “‘« and ”’» as escapes: the bundle is ASCII (scripts/bundle.mjs), and esbuild keeps a regular
// expression's characters as written.
const QUOTED = /^(["'\u201c\u2018\u00ab])(.*)(["'\u201d\u2019\u00bb])$/su

/**
 * Splits a platform's one-string name: the first word is the first name, the rest the last name
 * ("Maria de la Cruz" → Maria / de la Cruz); "Doe, Jane" → Jane / Doe; a single word (or a name in
 * a family-name-first script such as 山田太郎) stays whole as the first name with no last name. A
 * string that is not a person's name — no letter at all (emoji, a phone number), an email address
 * or handle (`@`), more digits than letters — gives null names; `displayName` keeps the whole
 * either way. Words without a letter ("Wanda 🌹 Maximoff") are left out of the parts.
 */
export function splitDisplayName(raw: string): DisplayNameParts {
  let whole = raw.replace(/\s+/gu, ' ').trim()
  const quoted = QUOTED.exec(whole)
  if (quoted) whole = (quoted[2] ?? '').trim()
  if (whole === '') return { firstName: null, lastName: null, displayName: null }
  const none = { firstName: null, lastName: null, displayName: whole }
  if (!isName(whole)) return none
  if (FAMILY_FIRST_SCRIPT.test(whole))
    return { firstName: whole, lastName: null, displayName: whole }

  const comma = commaOrder(whole)
  if (comma) return { ...comma, displayName: whole }
  const [first, ...rest] = wordsOf(whole)
  if (first === undefined) return none
  const last = trimCommas(rest.join(' '))
  return { firstName: trimCommas(first), lastName: last === '' ? null : last, displayName: whole }
}

/** "Doe," → "Doe": a comma that ends the name separates nothing. */
function trimCommas(s: string): string {
  return s.replace(/^[,\s]+|[,\s]+$/gu, '')
}

function isName(s: string): boolean {
  if (!LETTER.test(s) || s.includes('@')) return false
  return (s.match(DIGIT)?.length ?? 0) <= (s.match(LETTERS)?.length ?? 0)
}

/** The words that carry a letter. */
function wordsOf(s: string): string[] {
  return s.split(' ').filter((w) => LETTER.test(w))
}

/** "Doe, Jane" (one comma, a name on each side, not a suffix after it) → Jane / Doe. */
function commaOrder(s: string): { firstName: string; lastName: string } | null {
  const parts = s.split(',')
  if (parts.length !== 2) return null
  const last = wordsOf(parts[0] ?? '').join(' ')
  const first = wordsOf(parts[1] ?? '').join(' ')
  if (last === '' || first === '') return null
  if (SUFFIXES.has(first.toLowerCase().replace(/\./g, ''))) return null
  return { firstName: first, lastName: last }
}
