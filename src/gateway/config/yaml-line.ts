/**
 * One line of a block-style YAML file, read on its own: its indentation (and any tab in it),
 * whether it is a list item, its key, and whether its value opens a block, continues as a plain
 * scalar, or leaves a quote or bracket open for the next lines. The outline (yaml-outline.ts)
 * puts these lines together.
 */

export interface YamlLine {
  /** 1-based column of the first character (the dash of an item). */
  col: number
  /** 1-based column of the key after `- ` (or of the item's value); `col` when not an item. */
  keyCol: number
  /** Leading spaces before any other character. */
  spaces: number
  /** 1-based column of a tab in the indentation, or null. */
  tab: number | null
  dash: boolean
  /** `- - x`: an item whose value is itself a list. */
  nestedDash: boolean
  key: string | null
  /** `key:` with nothing after it (or only an anchor or tag): a block follows. */
  opens: boolean
  /** A plain scalar value, which may continue on deeper lines. */
  plain: boolean
  /** The line is one word (a key that lost its colon, if it has no key). */
  oneWord: boolean
  /** `|` or `>`: the deeper lines below are its text. */
  blockScalar: boolean
  /** 1-based column where the value starts (for an opening quote or bracket). */
  valueCol: number
  /** The value's first character when it is a quote or a bracket. */
  opener: '"' | "'" | '[' | '{' | null
}

/** A value's open quote or bracket, carried over to the next lines. */
export interface OpenState {
  quote: '"' | "'" | null
  depth: number
}

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{[\]},&*!|>%@`][^#]*?)[ \t]*:(?=[ \t]|$)/
const BLOCK_SCALAR = /^[|>][-+0-9]*[ \t]*(#.*)?$/
const ONLY_PROPERTIES = /^([&!][^\s]*[ \t]*)+(#.*)?$/
const DASH = /^-(?=[ \t]|$)/

function unquote(key: string): string {
  if (key.startsWith("'")) return key.slice(1, -1).replace(/''/g, "'")
  if (!key.startsWith('"')) return key
  try {
    return JSON.parse(key) as string
  } catch {
    return key.slice(1, -1) // a YAML-only escape (\x41, \e): close enough for a path
  }
}

/** True for a line with no content: blank, a comment, a document marker or a directive. */
export function isBlank(raw: string): boolean {
  const rest = raw.trimStart()
  return rest === '' || rest.startsWith('#') || /^(---|\.\.\.)(\s|$)/.test(rest) || rest[0] === '%'
}

/** Reads one content line (not blank: see isBlank). */
export function readLine(raw: string): YamlLine {
  const lead = /^[ \t]*/.exec(raw)?.[0] ?? ''
  const rest = raw.slice(lead.length)
  const tab = lead.indexOf('\t')
  const col = lead.length + 1
  const dash = DASH.test(rest)
  const afterDash = dash ? rest.slice(1).replace(/^[ \t]*/, '') : rest
  const keyCol = col + (rest.length - afterDash.length)
  // A plain key with a space in it is prose (a comment whose `#` went missing, a line broken in
  // two) in a config file, whose keys never have one: read as a line without a key.
  const found = KEY.exec(afterDash)
  const m = found && !(/\s/.test(found[1] ?? '') && !/^["']/.test(found[1] ?? '')) ? found : null
  const key = m ? unquote(m[1] ?? '') : null
  const afterKey = m ? afterDash.slice(m[0].length) : afterDash
  const value = afterKey.trimStart()
  const valueCol = raw.length - value.length + 1
  const first = value[0]
  return {
    col,
    keyCol,
    spaces: /^ */.exec(raw)?.[0].length ?? 0,
    tab: tab >= 0 ? tab + 1 : null,
    dash,
    nestedDash: dash && DASH.test(afterDash),
    key,
    opens: value === '' || value.startsWith('#') || ONLY_PROPERTIES.test(value),
    plain: value !== '' && !/^["'[{|>#]/.test(value),
    oneWord: /^[^\s#]+\s*(#.*)?$/.test(afterDash),
    blockScalar: BLOCK_SCALAR.test(value),
    valueCol,
    opener: first === '"' || first === "'" || first === '[' || first === '{' ? first : null,
  }
}

/** Scans `s` from index `from`, updating the open quote / bracket state. */
export function scan(s: string, from: number, st: OpenState): void {
  for (let i = from; i < s.length; i++) {
    const ch = s[i]
    if (st.quote === '"') {
      if (ch === '\\') i++
      else if (ch === '"') st.quote = null
    } else if (st.quote === "'") {
      if (ch === "'" && s[i + 1] === "'") i++
      else if (ch === "'") st.quote = null
    } else if (ch === '#' && (i === 0 || /\s/.test(s[i - 1] ?? ''))) {
      return
    } else if (st.depth > 0 && (ch === '[' || ch === '{')) st.depth++
    else if (st.depth > 0 && (ch === ']' || ch === '}')) st.depth--
    else if ((ch === '"' || ch === "'") && st.depth > 0 && /[[{,:]\s*$/.test(s.slice(0, i))) {
      st.quote = ch
    }
  }
}
