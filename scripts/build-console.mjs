// Bundles the agent console (src/console/, DESIGN §13) into dist/console/: index.html plus assets
// whose names carry a content hash (the daemon caches those for a year and index.html never).
// Usage: node scripts/build-console.mjs [outDir]
import { build } from 'esbuild'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'

const ROOT = new URL('../', import.meta.url).pathname
const out = process.argv[2] ?? join(ROOT, 'dist/console')

rmSync(out, { recursive: true, force: true })
mkdirSync(join(out, 'assets'), { recursive: true })
const result = await build({
  entryPoints: {
    app: join(ROOT, 'src/console/main.tsx'),
    style: join(ROOT, 'src/console/style.css'),
  },
  bundle: true,
  minify: true,
  format: 'esm',
  // Browsers of the last few years; nothing here needs a polyfill.
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  outdir: join(out, 'assets'),
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
})
const names = Object.keys(result.metafile.outputs).map((p) => basename(p))
const js = names.find((n) => n.startsWith('app-') && n.endsWith('.js'))
const css = names.find((n) => n.startsWith('style-') && n.endsWith('.css'))
if (!js || !css) throw new Error(`console build: missing outputs in ${names.join(', ')}`)
// No inline script or style: the Content-Security-Policy is `default-src 'self'`.
writeFileSync(
  join(out, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Omnigate console</title>
<link rel="stylesheet" href="assets/${css}">
<script type="module" src="assets/${js}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The Omnigate console needs JavaScript.</noscript>
</body>
</html>
`,
)
