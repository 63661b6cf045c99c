/**
 * Stack traces of the bundled daemon name src/ files and lines (bin/omnigate.js installs this
 * before it loads dist/bundle/main.js). Each chunk's source map is read the first time a trace
 * passes through that chunk, and kept from then on.
 *
 * Why not Node's own support (`process.setSourceMapsEnabled(true)`): it reads and parses the map of
 * every module as the module loads, and holds it for the life of the process, traces or not. That
 * was 1.3–1.8 MB of an idle daemon's 90 MB (DESIGN §8 P5; docs/benchmarks.md "P5: source maps
 * read when a trace needs them"). The parsing is Node's (`SourceMap` of `node:module`); this file
 * only picks the map and rewrites a frame's position.
 */
import { readFileSync } from 'node:fs'
import { SourceMap, type SourceMapPayload, type SourceMapping } from 'node:module'
import { fileURLToPath } from 'node:url'

/**
 * From now on, a stack trace's frames in files under `dir` (a `file:` URL ending in `/`) show the
 * position in the source their map names. A frame with no map, or at a position the map leaves
 * unmapped (a bundled package's code), keeps the bundle's position.
 */
export function mapStackTraces(dir: URL): void {
  const maps = new Map<string, SourceMap | null>()
  const mapOf = (file: string): SourceMap | null => {
    let map = maps.get(file)
    if (map === undefined) {
      map = readMap(file)
      maps.set(file, map)
    }
    return map
  }
  const under = dir.href
  Error.prepareStackTrace = (error, sites) => {
    let out = headline(error)
    for (const site of sites) out += `\n    at ${frame(site, under, mapOf)}`
    return out
  }
}

/** The first line of a trace, as V8 writes it: the error's `toString()`. */
function headline(error: unknown): string {
  try {
    return Error.prototype.toString.call(error)
  } catch {
    return '<error>'
  }
}

/** V8's text for the frame, with its position replaced by the mapped one where there is one. */
function frame(
  site: NodeJS.CallSite,
  under: string,
  mapOf: (file: string) => SourceMap | null,
): string {
  // CallSite's own toString() is V8's frame text (function, `new`, `async`, alias, position).
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  const text = String(site)
  const file = site.getFileName()
  const line = site.getLineNumber()
  const column = site.getColumnNumber()
  if (file === null || !file.startsWith(under) || line === null || column === null) return text
  const map = mapOf(file)
  if (map === null) return text
  // An unmapped position gives `{}`.
  const entry: Partial<SourceMapping> = map.findEntry(line - 1, column - 1)
  if (entry.originalSource === undefined || entry.originalLine === undefined) return text
  const position = `${file}:${line}:${column}`
  const at = text.lastIndexOf(position)
  if (at < 0) return text
  const source = fileURLToPath(new URL(entry.originalSource, file))
  const mapped = `${source}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`
  return text.slice(0, at) + mapped + text.slice(at + position.length)
}

/** The map beside `file` (esbuild's linked maps are `<file>.map`), or null if it can't be read. */
function readMap(file: string): SourceMap | null {
  try {
    return new SourceMap(
      JSON.parse(readFileSync(new URL(`${file}.map`), 'utf8')) as SourceMapPayload,
    )
  } catch {
    return null
  }
}
