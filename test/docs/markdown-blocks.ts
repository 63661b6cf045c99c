/**
 * The fenced code blocks of the user docs (README.md, docs/**), with what stands before each: the
 * HTML-comment marker that says how the docs test checks it, and the line of prose that leads in.
 *
 * Markers (an HTML comment on its own line right before the fence, invisible when rendered):
 *
 *   <!-- not-config: <why> -->                    a ```yaml block that is not a config (say why)
 *   <!-- config-fragment: <dotted.path> -->       a ```yaml fragment, wrapped under that path
 *   <!-- example: request <METHOD> <path> -->     a ```json request body of that route
 *   <!-- example: response <METHOD> <path> <status> -->   a ```json answer of that route
 *   <!-- example: answer to the curl above, <status> -->  the real answer of the ```sh curl before
 *   <!-- example: webhook outbound -->            the body a webhook channel POSTs to its relay
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

export interface Block {
  /** Path from the repository root, e.g. `docs/api.md`. */
  file: string
  /** 1-based line of the opening fence. */
  line: number
  lang: string
  /** The content, without the fence's own indentation (blocks inside list items). */
  text: string
  /** The marker comment's content, or null. */
  marker: string | null
  /** The paragraph of prose right before the block (and its marker). */
  lead: string
}

export const ROOT = new URL('../../', import.meta.url).pathname

/** README.md and every Markdown file under docs/ but docs/dev (notes for developers). */
export function docFiles(): string[] {
  const out = ['README.md']
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, e.name)
      if (e.isDirectory() && path !== join('docs', 'dev')) walk(path)
      else if (e.isFile() && e.name.endsWith('.md')) out.push(path)
    }
  }
  walk('docs')
  return out.sort()
}

const OPEN = /^(\s*)(`{3,})([\w-]*)\s*$/
const MARKER = /^\s*<!--\s*(.*?)\s*-->\s*$/

export function readDoc(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8')
}

export function fencedBlocks(file: string, text = readDoc(file)): Block[] {
  const lines = text.split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i] ?? '')
    if (!open) continue
    const [, indent = '', fence = '```', lang = ''] = open
    let end = i + 1
    while (end < lines.length && (lines[end] ?? '').trim() !== fence) end++
    const body = lines
      .slice(i + 1, end)
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()))
    let j = i - 1
    while (j >= 0 && (lines[j] ?? '').trim() === '') j--
    const m = MARKER.exec(lines[j] ?? '')
    if (m) {
      j--
      while (j >= 0 && (lines[j] ?? '').trim() === '') j--
    }
    let k = j
    while (k > 0 && (lines[k - 1] ?? '').trim() !== '') k--
    blocks.push({
      file: relative(ROOT, join(ROOT, file)),
      line: i + 1,
      lang,
      text: body.join('\n'),
      marker: m?.[1] ?? null,
      lead: j >= 0 ? lines.slice(k, j + 1).join('\n') : '',
    })
    i = end
  }
  return blocks
}

/** Every block of every doc file, in reading order (README first). */
export const allBlocks = (): Block[] => docFiles().flatMap((f) => fencedBlocks(f))

/** `docs/api.md:63`: where a block starts, for test names and messages. */
export const where = (b: Block): string => `${b.file}:${b.line}`

export type Marker =
  | { kind: 'not-config'; reason: string }
  | { kind: 'config-fragment'; path: string[] }
  | { kind: 'request'; method: string; path: string }
  | { kind: 'response'; method: string; path: string; status: number }
  | { kind: 'curl-answer'; status: number }
  | { kind: 'webhook-outbound' }
  | { kind: 'none' }

/** Reads a block's marker; throws on one that looks like ours but is malformed. */
export function parseMarker(marker: string | null): Marker {
  if (marker === null) return { kind: 'none' }
  let m = /^not-config:\s*(\S.*)$/.exec(marker)
  if (m) return { kind: 'not-config', reason: m[1] ?? '' }
  m = /^config-fragment:\s*([a-z0-9_.-]+)$/.exec(marker)
  if (m) return { kind: 'config-fragment', path: (m[1] ?? '').split('.') }
  m = /^example: request (GET|POST|PUT|PATCH|DELETE) (\/\S*)$/.exec(marker)
  if (m) return { kind: 'request', method: m[1] ?? '', path: m[2] ?? '' }
  m = /^example: response (GET|POST|PUT|PATCH|DELETE) (\/\S*) (\d{3})$/.exec(marker)
  if (m) return { kind: 'response', method: m[1] ?? '', path: m[2] ?? '', status: Number(m[3]) }
  m = /^example: answer to the curl above, (\d{3})$/.exec(marker)
  if (m) return { kind: 'curl-answer', status: Number(m[1]) }
  if (marker === 'example: webhook outbound') return { kind: 'webhook-outbound' }
  if (/^(example|not-config|config-fragment)\b/.test(marker)) {
    throw new Error(
      `malformed docs-test marker <!-- ${marker} --> (see test/docs/markdown-blocks.ts)`,
    )
  }
  return { kind: 'none' }
}

/** A config fragment as a whole file: `channels` + `sms: …` → `channels:\n  sms: …`. */
export function wrapFragment(text: string, path: readonly string[]): string {
  const pad = (depth: number) => '  '.repeat(depth)
  const head = path.map((k, i) => `${pad(i)}${k}:`)
  const body = text.split('\n').map((l) => (l.trim() === '' ? l : pad(path.length) + l))
  return [...head, ...body].join('\n')
}
