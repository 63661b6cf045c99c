/**
 * What contact search indexes and how a user's `q` becomes an FTS5 query. The tokenizer
 * (unicode61, diacritics removed) folds case and accents and splits emails at `@ . - _ +`, so the
 * local part and the domain parts are tokens of their own. Phones are indexed as digit strings in
 * three forms so any way a person types the number prefix-matches one of them.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js'

export interface ContactSearchFields {
  first_name?: string | null
  last_name?: string | null
  email?: string | null
  phone?: string | null
}

export interface SearchText {
  first_name: string | null
  last_name: string | null
  email: string | null
  phone: string | null
}

/** Enough for any name/email/phone search; more terms only slow the query down. */
const MAX_TERMS = 8
/** Longer terms cannot prefix-match anything we index. */
const MAX_TERM_LENGTH = 64
/** Only digits and what people type between them: the whole `q` is then one phone number. */
const PHONE_QUERY_RE = /^[\d\s+\-().\/]*\d[\d\s+\-().\/]*$/
const WORD_CHAR_RE = /[\p{L}\p{N}]/u

export function contactSearchText(c: ContactSearchFields): SearchText {
  return {
    first_name: c.first_name ?? null,
    last_name: c.last_name ?? null,
    email: c.email ?? null,
    phone: c.phone ? phoneForms(c.phone) : null,
  }
}

/**
 * The search text of a contact and the contacts merged into it (DESIGN §15): each field holds the
 * values of all of them, the contact's own first, so the survivor is found by any of their names,
 * emails or phones. With one contact it is `contactSearchText`.
 */
export function mergedSearchText(rows: readonly ContactSearchFields[]): SearchText {
  const join = (values: (string | null)[]) => {
    const kept = [...new Set(values.filter((v): v is string => v !== null && v !== ''))]
    return kept.length === 0 ? null : kept.join(' ')
  }
  const texts = rows.map(contactSearchText)
  return {
    first_name: join(texts.map((t) => t.first_name)),
    last_name: join(texts.map((t) => t.last_name)),
    email: join(texts.map((t) => t.email)),
    phone: join(texts.map((t) => t.phone)),
  }
}

/**
 * `+49 170 1234567` → `491701234567 1701234567 01701234567`: international digits, the national
 * number, and the national number with a trunk `0` (how people in most countries dial it).
 * @internal exported for its tests
 */
export function phoneForms(phone: string): string {
  const digits = phone.replace(/\D/g, '')
  if (digits === '') return phone
  const forms = new Set([digits])
  const parsed = phone.trim().startsWith('+') ? parsePhoneNumberFromString(phone) : undefined
  if (parsed) {
    forms.add(parsed.nationalNumber)
    forms.add(`0${parsed.nationalNumber}`)
  } else if (digits.startsWith('0')) {
    forms.add(digits.replace(/^0+/, ''))
  }
  return [...forms].join(' ')
}

/**
 * The FTS5 MATCH expression for `q`, or null when `q` has nothing searchable (then no text filter
 * applies). Each whitespace-separated term becomes a quoted prefix phrase `"term"*`, AND-ed, so
 * FTS syntax in `q` (quotes, `*`, `AND(`, `NEAR`, `col:`) is only ever text and cannot raise an
 * error. A `q` made of digits and phone punctuation is one term of its digits.
 */
export function matchQuery(q: string | undefined): string | null {
  if (q === undefined) return null
  const text = q.normalize('NFC').trim()
  if (PHONE_QUERY_RE.test(text)) return `"${text.replace(/\D/g, '').slice(0, MAX_TERM_LENGTH)}"*`
  const terms = text
    .split(/\s+/)
    .map((t) => t.replace(/["\p{Cc}]/gu, '').slice(0, MAX_TERM_LENGTH))
    .filter((t) => WORD_CHAR_RE.test(t))
    .slice(0, MAX_TERMS)
  if (terms.length === 0) return null
  return terms.map((t) => `"${t}"*`).join(' AND ')
}
