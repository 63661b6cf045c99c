/**
 * The YAML file with positions: parses it keeping every node's offset, so an issue found in the
 * plain data (a zod path such as `channels.wa.rules.window.duration`) can be reported at its
 * file:line:column. YAML syntax errors become issues with positions too.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Pair,
} from 'yaml'
import { syntaxIssues } from './syntax-errors.js'
import type { ConfigIssue } from './types.js'

export type PathSegment = string | number
export type ConfigPath = readonly PathSegment[]

/** Where on a path an issue points: the value, the key naming it, or (missing key) its parent. */
export type Anchor = 'value' | 'key' | 'parent'

export interface SourceFile {
  file: string
  doc: Document
  lineCounter: LineCounter
}

/** `channels.wa.rules.window.duration`, `auth.keys[0].key`, `channels["Bad Name"]`. */
export function formatPath(path: ConfigPath): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (/^[A-Za-z0-9_$-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`
    else out += `[${JSON.stringify(seg)}]`
  }
  return out === '' ? '(top level)' : out
}

/** Parses the text; syntax errors are returned as issues at the line that holds the mistake. */
export function parseSource(
  file: string,
  text: string,
): { source: SourceFile; issues: ConfigIssue[]; warnings: string[] } {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, prettyErrors: false })
  const source = { file, doc, lineCounter }
  const at = (offset: number, message: string): ConfigIssue => ({
    file,
    ...lineCounter.linePos(offset),
    path: formatPath(pathAt(doc, offset)),
    message: message.replace(/\s+/g, ' ').trim(),
  })
  const issues = syntaxIssues(file, text, doc, lineCounter, (offset) => pathAt(doc, offset))
  const warnings = doc.warnings.map((w) => {
    const i = at(w.pos[0], w.message)
    return `${file}:${i.line}:${i.col}: ${i.path}: ${i.message}`
  })
  return { source, issues, warnings }
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key)
}

function pairOf(node: unknown, seg: PathSegment): Pair | undefined {
  if (!isMap(node)) return undefined
  return node.items.find((p) => keyText(p.key) === String(seg))
}

function startOf(node: unknown): number | null {
  return (node as Node | null)?.range?.[0] ?? null
}

/** The 1-based line and column of an issue at `path`; else of the nearest existing parent. */
export function locate(
  source: SourceFile,
  path: ConfigPath,
  anchor: Anchor,
): { line: number; col: number } {
  const { doc, lineCounter } = source
  const steps = anchor === 'parent' ? path.slice(0, -1) : path
  let node: unknown = doc.contents
  let key: unknown = null
  let found = true
  for (const seg of steps) {
    if (isAlias(node)) node = node.resolve(doc)
    const pair = pairOf(node, seg)
    if (pair !== undefined) {
      key = pair.key
      node = pair.value
    } else if (isSeq(node) && node.items[Number(seg)] !== undefined) {
      key = null
      node = node.items[Number(seg)]
    } else {
      found = false
      break
    }
  }
  // A missing key (or a path the data has but the text does not, e.g. a merge key) points at the
  // key naming the parent map, else the map itself; an empty value (`window:`) at its key.
  const emptyValue = isScalar(node) && node.value === null && node.source === ''
  const useKey = anchor === 'key' || !found || anchor === 'parent' || emptyValue || node === null
  const offset = (useKey ? startOf(key) : null) ?? startOf(node) ?? startOf(key) ?? 0
  return lineCounter.linePos(offset)
}

/** The key path of the innermost node containing `offset` (for syntax errors). */
function pathAt(doc: Document, offset: number): PathSegment[] {
  const path: PathSegment[] = []
  let node: unknown = doc.contents
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const start = startOf(p.key) ?? -1
        const end = (p.value as Node | null)?.range?.[2] ?? (p.key as Node | null)?.range?.[2] ?? -1
        return start <= offset && offset <= end
      })
      if (pair === undefined) return path
      path.push(keyText(pair.key))
      node = pair.value
    } else if (isSeq(node)) {
      const i = node.items.findIndex((item) => {
        const range = (item as Node | null)?.range
        return range != null && range[0] <= offset && offset <= range[2]
      })
      if (i < 0) return path
      path.push(i)
      node = node.items[i]
    } else {
      return path
    }
  }
}
