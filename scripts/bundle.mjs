// Bundles the daemon (src/main.ts) into dist/bundle/: main.js plus a chunk for each part loaded
// only when used (a connector's SDK, the PostgreSQL store, `omnigate copy`), minified with names
// kept, and source maps that point at src/ (bin/omnigate.js maps stack traces through them with
// stack-traces.js, the bundle's second entry, so traces read as before). Why: an idle daemon
// holds its modules' source text in memory, and a minified bundle holds less (DESIGN §8 P5,
// docs/benchmarks.md "The footprint").
// Left out, loaded from node_modules as they are: native addons (better-sqlite3), pino (its
// transports start worker threads from files of its own), and WhatsApp Web's browser stack with
// qrcode (loaded only for that channel).
// Usage: node scripts/bundle.mjs [outDir]
import { build } from 'esbuild'
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'

const ROOT = new URL('../', import.meta.url).pathname
/** Base64 digits of a source map's VLQ fields. */
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const out = process.argv[2] ?? join(ROOT, 'dist/bundle')
/**
 * Packages installed more than once at the same version (npm nests a copy under each dependant
 * whose range the root copy does not meet): the bundle keeps one. iconv-lite came twice, under
 * imapflow and under libmime, 0.45 MB of source and tables each, both loaded with the email
 * connector.
 */
const DEDUPE = ['iconv-lite']

/** Where the bundle keeps iconv-lite's double-byte tables, in the folder of the chunks. */
const ICONV_TABLES = 'iconv-tables'

const EXTERNAL = [
  'better-sqlite3',
  'pino',
  'whatsapp-web.js',
  'puppeteer',
  'puppeteer-core',
  'qrcode',
  // Optional peers some packages try to load and we never use.
  'pg-native',
  'cloudflare:sockets',
]

rmSync(out, { recursive: true, force: true })
const { metafile } = await build({
  // stack-traces.js: what bin/omnigate.js installs before main.js loads (src/stack-traces.ts).
  entryPoints: {
    main: join(ROOT, 'src/main.ts'),
    'stack-traces': join(ROOT, 'src/stack-traces.ts'),
  },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  sourcesContent: false,
  // ASCII output: V8 keeps a one-byte string for each file's source (half the memory of UTF-16).
  charset: 'ascii',
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  external: EXTERNAL,
  // Packages the bundle replaces (scripts/bundle-shims/ says why, in each file).
  alias: { 'whatwg-url': join(ROOT, 'scripts/bundle-shims/whatwg-url.mjs') },
  plugins: [
    oneCopy(DEDUPE),
    libmimeOnce(),
    // For imapflow: packages of code paths an idle IMAP session never takes.
    shim('socks', /node_modules\/imapflow\//, 'socks.mjs'),
    shim('encoding-japanese', /node_modules\/(imapflow|libmime)\//, 'encoding-japanese.cjs'),
    shim('@zone-eu/mailsplit', /node_modules\/imapflow\//, 'mailsplit.mjs'),
    shim(
      '@zone-eu/mailsplit/lib/flowed-decoder.js',
      /node_modules\/imapflow\//,
      'mailsplit-flowed-decoder.mjs',
    ),
    iconvTablesApart(),
    // zod's `z.locales` and `z.core.locales`.
    shim(
      '../locales/index.js',
      /node_modules\/zod\/v4\/(classic\/external|core\/index)\.js$/,
      'zod-locales.mjs',
    ),
  ],
  // Bundled CommonJS modules call require() for Node's built-ins and the external packages.
  banner: {
    js: "import { createRequire as __omnigateRequire } from 'node:module'; const require = __omnigateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  metafile: true,
})
// What went where (test/build/bundle.test.ts reads it).
writeFileSync(join(out, 'meta.json'), JSON.stringify(metafile))
copyIconvTables(metafile)

// The maps keep our own code only: a position in a bundled package maps to nothing (the trace
// shows the bundle's position there). A map is read when a trace first passes through its chunk
// and then kept, and the packages' mappings were most of them (3.5 MB of an idle daemon's 88 when
// Node read every map at load).
for (const dir of [out, join(out, 'chunks')]) {
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.js.map'))) {
    const file = join(dir, name)
    writeFileSync(file, JSON.stringify(ownMappings(JSON.parse(readFileSync(file, 'utf8')))))
  }
}

/** `map` with the segments of sources outside src/ made unmapped, and those sources dropped. */
function ownMappings(map) {
  const keep = map.sources.map((s) => /(^|\/)src\//.test(s) && !s.includes('node_modules'))
  const index = []
  const sources = []
  map.sources.forEach((s, i) => {
    if (keep[i]) index[i] = sources.push(s) - 1
  })
  const state = { source: 0, line: 0, col: 0, name: 0 }
  const next = { source: 0, line: 0, col: 0, name: 0 }
  const lines = map.mappings.split(';').map((line) => {
    let genCol = 0
    let outCol = 0
    /** The last segment written on this line marks its columns unmapped. */
    let unmapped = false
    const segments = []
    for (const seg of line.split(',')) {
      if (seg === '') continue
      const f = decodeVlq(seg)
      genCol += f[0]
      if (f.length > 1) {
        state.source += f[1]
        state.line += f[2]
        state.col += f[3]
        if (f.length === 5) state.name += f[4]
      }
      if (f.length === 1 || !keep[state.source]) {
        // A run of unmapped segments is one.
        if (!unmapped) {
          segments.push(encodeVlq([genCol - outCol]))
          outCol = genCol
        }
        unmapped = true
        continue
      }
      unmapped = false
      const fields = [
        genCol - outCol,
        index[state.source] - next.source,
        state.line - next.line,
        state.col - next.col,
      ]
      outCol = genCol
      next.source = index[state.source]
      next.line = state.line
      next.col = state.col
      if (f.length === 5) {
        fields.push(state.name - next.name)
        next.name = state.name
      }
      segments.push(encodeVlq(fields))
    }
    return segments.join(',')
  })
  return { ...map, sources, mappings: lines.join(';') }
}

function decodeVlq(seg) {
  const out = []
  let value = 0
  let shift = 0
  for (const ch of seg) {
    const digit = B64.indexOf(ch)
    value += (digit & 31) << shift
    if (digit & 32) {
      shift += 5
      continue
    }
    out.push(value & 1 ? -(value >>> 1) : value >>> 1)
    value = 0
    shift = 0
  }
  return out
}

function encodeVlq(fields) {
  let s = ''
  for (const f of fields) {
    let v = f < 0 ? (-f << 1) | 1 : f << 1
    do {
      let digit = v & 31
      v >>>= 5
      if (v > 0) digit |= 32
      s += B64[digit]
    } while (v > 0)
  }
  return s
}

/**
 * An esbuild plugin: each package of `names`, wherever it is imported from, resolves into one copy
 * per version: the first of that version's copies by path in package-lock.json, so every build
 * picks the same one (esbuild resolves in parallel: "the first resolved" would vary). Another
 * version stays a copy of its own.
 */
function oneCopy(names) {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages ?? {}
  /** `name@version` → the folder of the copy the bundle uses. */
  const chosen = new Map()
  for (const dir of Object.keys(lock).sort()) {
    const name = names.find((n) => dir.endsWith(`node_modules/${n}`))
    const key = name && `${name}@${lock[dir].version}`
    if (key && !chosen.has(key)) chosen.set(key, join(ROOT, dir))
  }
  const filter = new RegExp(
    `^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`,
  )
  return {
    name: 'one-copy',
    setup(b) {
      b.onResolve({ filter }, async (args) => {
        if (args.pluginData?.oneCopy) return undefined // our own resolve below
        const { path, errors } = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { oneCopy: true },
        })
        if (errors.length > 0) return { errors }
        const dir = path.slice(
          0,
          path.lastIndexOf(`/node_modules/${args.path}/`) + `/node_modules/${args.path}`.length,
        )
        const version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version
        const to = chosen.get(`${args.path}@${version}`)
        return { path: to ? to + path.slice(dir.length) : path }
      })
    },
  }
}

/**
 * An esbuild plugin: `name`, imported from a file whose path matches `importers`, resolves to
 * `scripts/bundle-shims/<file>` (each shim says why); the shim's own import of `name` is the
 * package.
 */
function shim(name, importers, file) {
  const to = join(ROOT, 'scripts/bundle-shims', file)
  return {
    name: `shim-${name}`,
    setup(b) {
      const exact = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
      b.onResolve({ filter: new RegExp(`^${exact}$`) }, (args) =>
        importers.test(args.importer) ? { path: to } : undefined,
      )
    },
  }
}

/**
 * An esbuild plugin: iconv-lite's double-byte tables (Shift_JIS, GBK, Big5 …: 0.4 MB of JSON, which
 * it requires only for a text in such a charset) stay files of their own, required from the chunk
 * that holds iconv-lite (the bundle's `require` resolves relative to it), instead of source text
 * of the email connector's chunk, which an idle daemon holds in memory.
 */
function iconvTablesApart() {
  return {
    name: 'iconv-tables-apart',
    setup(b) {
      b.onResolve({ filter: /^\.\/tables\/[\w-]+\.json$/ }, (args) =>
        /node_modules\/iconv-lite\/encodings$/.test(args.resolveDir)
          ? { path: `./${ICONV_TABLES}/${basename(args.path)}`, external: true }
          : undefined,
      )
    },
  }
}

/**
 * Copies the tables of the iconv-lite the bundle holds (oneCopy keeps one) beside the chunk that
 * requires them; throws when that chunk is not in chunks/ (the required path would not resolve).
 */
function copyIconvTables(meta) {
  const input = Object.keys(meta.inputs).find((f) =>
    f.endsWith('node_modules/iconv-lite/encodings/dbcs-data.js'),
  )
  if (!input) return
  const [chunk] = Object.entries(meta.outputs).find(([, o]) => input in o.inputs) ?? []
  if (!chunk || basename(dirname(chunk)) !== 'chunks')
    throw new Error(`iconv-lite's tables are required from ${chunk}, not from a chunk`)
  const tables = join(out, 'chunks', ICONV_TABLES)
  mkdirSync(tables, { recursive: true })
  // The metafile's paths are relative to the working directory.
  cpSync(resolve(dirname(input), 'tables'), tables, { recursive: true })
}

/**
 * An esbuild plugin: `libmime`, imported or required, is the ES module build's one instance, made
 * at its first use (the shim says why).
 */
function libmimeOnce() {
  return {
    name: 'libmime-once',
    setup(b) {
      b.onResolve({ filter: /^libmime$/ }, () => ({
        path: join(ROOT, 'scripts/bundle-shims/libmime.cjs'),
      }))
    },
  }
}
