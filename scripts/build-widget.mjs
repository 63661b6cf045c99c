// Bundles the web chat widget (src/webchat-widget/, DESIGN §12) into dist/widget/widget.js: one
// self-contained classic script (an IIFE: sites embed it with a plain `<script async>`), nothing
// fetched from anywhere else. Fails when it outgrows the 30 KB gzipped budget.
// Usage: node scripts/build-widget.mjs [outDir]
import { build } from 'esbuild'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const ROOT = new URL('../', import.meta.url).pathname
const out = process.argv[2] ?? join(ROOT, 'dist/widget')
/** DESIGN §12: ≤ 30 KB gzipped. */
const BUDGET = 30 * 1024

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
await build({
  entryPoints: [join(ROOT, 'src/webchat-widget/main.ts')],
  outfile: join(out, 'widget.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  // Sites' visitors run older phones and in-app web views (Safari 13, Chrome 80 and later).
  target: ['es2019', 'chrome80', 'firefox78', 'safari13'],
  legalComments: 'none',
  logLevel: 'warning',
})
const size = gzipSync(readFileSync(join(out, 'widget.js'))).length
if (size > BUDGET) throw new Error(`widget.js is ${size} bytes gzipped, over the ${BUDGET} budget`)
