/**
 * Contact search text for PostgreSQL with SQLite's FTS5 semantics (DESIGN §10, P4). PostgreSQL's
 * own text parser reads `ana.maria@example.com` as one email token and keeps accents, so the
 * tokens are made here exactly as FTS5's `unicode61 remove_diacritics 2` tokenizer makes them:
 * case folded, diacritics removed, split at every character that is not a letter or digit. The
 * vector is written as a tsvector literal with positions (columns far apart, so a phrase never
 * spans two fields) and queried with `@@` on a GIN index, which serves prefix terms (`'ana':*`).
 * What is indexed (phone digit forms …) and how `q` splits into terms come from the same
 * functions the SQLite dialect uses (`search-text.ts`), so both dialects find the same contacts.
 */
import {
  contactSearchText,
  matchQuery,
  mergedSearchText,
  type ContactSearchFields,
  type SearchText,
} from '../sqlite/search-text.js'

/** First position of each field; a gap wider than any phrase keeps fields apart. */
const FIELD_STRIDE = 1000
/** Tokens kept per field: far beyond a name or an address; positions must stay < 16384. */
const MAX_TOKENS_PER_FIELD = FIELD_STRIDE - 10
const FIELDS = ['first_name', 'last_name', 'email', 'phone'] as const
const SEPARATOR = /[^\p{L}\p{N}\p{Co}]+/u
/** An FTS5 term as matchQuery writes it: `"…"*` (quotes were removed from the term itself). */
const FTS_TERM = /"([^"]*)"\*/g

/** FTS5's folding: lower case, diacritics removed (NFD, combining marks dropped). */
function fold(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC')
}

/**
 * The tokens FTS5's unicode61 tokenizer would index for `text`.
 * @internal exported for its tests
 */
export function tokens(text: string): string[] {
  return fold(text)
    .split(SEPARATOR)
    .filter((t) => t !== '')
}

/** Quoted tsvector/tsquery lexeme; tokens hold no quote or backslash, escaped all the same. */
const lexeme = (t: string): string => `'${t.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`

/** The tsvector literal of a contact's search text (`''` when nothing is indexed). */
function searchVector(text: SearchText): string {
  const positions = new Map<string, number[]>()
  FIELDS.forEach((field, i) => {
    const value = text[field]
    if (!value) return
    tokens(value)
      .slice(0, MAX_TOKENS_PER_FIELD)
      .forEach((t, j) => {
        const at = i * FIELD_STRIDE + j + 1
        const list = positions.get(t)
        if (list) list.push(at)
        else positions.set(t, [at])
      })
  })
  return [...positions].map(([t, at]) => `${lexeme(t)}:${at.join(',')}`).join(' ')
}

/** The vector of a contact's fields as stored in `contacts.search`. */
export function contactSearchVector(c: ContactSearchFields): string {
  return searchVector(contactSearchText(c))
}

/** The vector of a contact and the contacts merged into it, its own fields first (DESIGN §15). */
export function mergedSearchVector(rows: readonly ContactSearchFields[]): string {
  return searchVector(mergedSearchText(rows))
}

/**
 * The tsquery for `q`, or null when it has nothing searchable (no text filter, as on SQLite).
 * Each term of matchQuery becomes a phrase of its tokens with the last one a prefix
 * (`ana.maria@exa` → `'ana' <-> 'maria' <-> 'exa':*`, as FTS5 reads `"ana.maria@exa"*`); terms
 * are AND-ed.
 */
export function searchQuery(q: string | undefined): string | null {
  const match = matchQuery(q)
  if (match === null) return null
  const phrases: string[] = []
  for (const [, term] of match.matchAll(FTS_TERM)) {
    const ts = tokens(term ?? '')
    if (ts.length === 0) continue
    const last = ts.length - 1
    phrases.push(ts.map((t, i) => (i === last ? `${lexeme(t)}:*` : lexeme(t))).join(' <-> '))
  }
  if (phrases.length === 0) return null
  return phrases.map((p) => (phrases.length > 1 ? `(${p})` : p)).join(' & ')
}
