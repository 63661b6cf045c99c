#!/usr/bin/env node
// The omnigate command. Plain JS run by node itself (one process), so SIGHUP and SIGTERM reach the
// daemon. The TypeScript is compiled to dist/ and bundled by `npm ci` (the `prepare` script).
import { existsSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'

// The budget of V8's dynamic tier-up for WebAssembly: 1000 × the default of 1.8 M. llhttp, the
// HTTP parser of undici (the bundled one, and node's own behind the global fetch), is a WebAssembly
// module. With the default, its parser function went to TurboFan after the few responses the
// connectors read at start-up; each such compile, on a V8 worker thread, takes 24–30 MB of malloc'd
// memory, of which 7–18 MB stayed resident in that thread's arena in about two starts of three
// (DESIGN §8 P5, docs/benchmarks.md "P5: llhttp's tier-up"). With this budget the tier-up comes
// after some hundreds of responses: under load, within its first second.
const WASM_TIERING_BUDGET = 1_800_000_000

if (process.argv[2] === 'serve') {
  // The daemon's young generation stays at its initial size through start-up and idle, and grows
  // again once load lasts (src/gateway/young-generation.ts): set before anything loads.
  setFlagsFromString('--semi-space-growth-factor=1')
  setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`)
}

// The bundle (scripts/bundle.mjs) when it is built, else tsc's output of the same source.
const bundle = new URL('../dist/bundle/main.js', import.meta.url)
const entry = existsSync(bundle) ? bundle : new URL('../dist/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write(
    'omnigate: dist/ is missing; run `npm ci` (or `npm run build`) in the checkout first\n',
  )
  process.exit(1)
}
// Stack traces name src/ files and lines, through the bundle's source maps, each read when a trace
// first needs it (src/stack-traces.ts says why not Node's own source-map support).
if (entry === bundle) {
  const { mapStackTraces } = await import(new URL('stack-traces.js', bundle).href)
  mapStackTraces(new URL('./', bundle))
}
const { main } = await import(entry.href)
const code = await main(process.argv.slice(2))
// Exit now rather than when the event loop drains: a natural exit first closes node's signal
// handles, and a signal arriving in that window kills the process by its default action. A Ctrl-C
// reaches `npm start`'s daemon twice (from the terminal, then forwarded by npm, late on a busy
// machine), so a daemon that had stopped cleanly was reported as killed by SIGINT. Logs are written
// synchronously (pino's default destination), so nothing is cut off.
process.exit(code)
