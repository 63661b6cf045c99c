/**
 * YAML syntax errors reported where the mistake is. The parser (yaml) reports an error where its
 * grammar breaks: a key two spaces short is found on the next key, at column 1, under the wrong
 * parent; a tab error names the key of the line before; an unclosed quote is found at the end of
 * the file. Each parser error is matched to the mistake the file's indentation outline shows
 * (yaml-outline.ts) and reported at that line:column with the key path of that line — or of its
 * parent mapping when the key itself is misplaced. Errors that only echo one mistake (everything
 * after a misplaced line in the same top-level section) are reported once.
 */
import type { Document, LineCounter, YAMLError } from 'yaml'
import type { ConfigIssue } from './types.js'
import { isBlank } from './yaml-line.js'
import { readOutline, type OutlineProblem } from './yaml-outline.js'
import { formatPath, type PathSegment } from './source.js'

/** A key's name is safe to quote in a message (a line with no colon might be a pasted secret). */
const NAMEABLE = /^[A-Za-z0-9_.-]{1,64}$/

function problemMessage(p: OutlineProblem): string {
  switch (p.kind) {
    case 'tab':
      return 'a tab indents this line; YAML indents with spaces only'
    case 'item':
      return 'a list item ("- ") where the lines at its column are "key: value"'
    case 'no-key':
      return 'this line is not "key: value" (is the ":" after the key missing?)'
    case 'unclosed': {
      const closer = { '"': '"', "'": "'", '[': ']', '{': '}' }[p.opener] ?? p.opener
      return `the ${p.opener} opened here is never closed (a missing ${closer})`
    }
    case 'indent': {
      const what = p.key !== null && NAMEABLE.test(p.key) ? `"${p.key}"` : 'this line'
      const siblings =
        p.parent.length === 0 ? 'the top-level keys' : `the keys of ${formatPath(p.parent)}`
      return `${what} is at column ${p.col}, but ${siblings} are at column ${p.expected}`
    }
  }
}

/** The key path an issue names: the key on the line, or the mapping a misplaced key belongs in. */
function problemPath(p: OutlineProblem): PathSegment[] {
  return p.kind === 'tab' || p.kind === 'unclosed' ? p.path : p.parent
}

/**
 * The syntax errors of `doc` as config issues, at the offending line:column.
 * @param pathAt the key path (from the parsed document) at a text offset, for errors the outline
 *   does not explain (a duplicate key, an unknown escape …)
 */
export function syntaxIssues(
  file: string,
  text: string,
  doc: Document,
  lineCounter: LineCounter,
  pathAt: (offset: number) => PathSegment[],
): ConfigIssue[] {
  if (doc.errors.length === 0) return []
  const outline = readOutline(text)
  // An error found at the end of the file (an unclosed `[`) is shown after the last content,
  // not on a blank line below it.
  const end = text.trimEnd().length
  // A mistake at the top level (a list item among the top-level keys, the first key indented)
  // can shift every section after it.
  const sectionOfProblem = (p: OutlineProblem): number =>
    problemPath(p).length === 0 ? 0 : outline.sectionOf(p.line)
  // After a quote or bracket left open the parser is lost to the end of the file.
  const spans = (p: OutlineProblem, line: number): boolean =>
    p.kind === 'unclosed' && p.line <= line
  const lines = text.split('\n')
  // The parser may stop on the comment above the line it cannot place.
  const nextContentLine = (line: number): number => {
    let n = line + 1
    while (n < lines.length && isBlank(lines[n - 1] ?? '')) n++
    return n
  }
  const issues: ConfigIssue[] = []
  const used = new Set<OutlineProblem>()
  const sectionsReported = new Set<number>()
  const parserIssue = (e: YAMLError): ConfigIssue => {
    const offset = Math.min(e.pos[0], end)
    const pos = lineCounter.linePos(offset)
    // Past the indentation, on the line's first character.
    const lineText = text.split('\n')[pos.line - 1] ?? ''
    const first = (/^[ \t]*/.exec(lineText)?.[0].length ?? 0) + 1
    return {
      file,
      line: pos.line,
      col: Math.max(pos.col, Math.min(first, lineText.length)),
      path: formatPath(pathAt(offset)),
      message: `YAML syntax: ${e.message.replace(/\s+/g, ' ').trim()}`,
    }
  }
  for (const e of doc.errors) {
    if (e.code === 'DUPLICATE_KEY') {
      issues.push(parserIssue(e))
      continue
    }
    const from = lineCounter.linePos(Math.min(e.pos[0], end)).line
    const to = lineCounter.linePos(Math.min(e.pos[1], end)).line
    const section = outline.sectionOf(from)
    // The first mistake not yet reported before the error (the parser notices one at most a line
    // after its end), in its section or before the first top-level key (which shifts them all);
    // the lines a mistake throws off come after it and are its echo.
    const candidates = outline.problems
      .filter((p) => p.line <= nextContentLine(Math.max(from, to)))
      .filter((p) => [section, 0].includes(sectionOfProblem(p)) || spans(p, from))
    const cause = candidates.find((p) => !used.has(p)) ?? candidates.at(-1)
    if (cause !== undefined) {
      if (used.has(cause)) continue
      used.add(cause)
      sectionsReported.add(outline.sectionOf(cause.line))
      issues.push({
        file,
        line: cause.line,
        col: cause.col,
        path: formatPath(problemPath(cause)),
        message: `YAML syntax: ${problemMessage(cause)}`,
      })
    } else if (!sectionsReported.has(section)) {
      // Nothing in the outline explains it: the parser's own words, once per section (after a
      // first error, the parser's later ones in the same section are mostly its echo).
      sectionsReported.add(section)
      issues.push(parserIssue(e))
    }
  }
  return issues.sort((a, b) => a.line - b.line || a.col - b.col)
}
