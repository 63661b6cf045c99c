#!/usr/bin/env node
// The omnigate command. Plain JS run by node itself (one process), so SIGHUP and SIGTERM reach the
// daemon. The TypeScript is compiled to dist/ and bundled by `npm ci` (the `prepare` script).
import { existsSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'

// The daemon's young generation stays at its initial size through start-up and idle, and grows
// again once load lasts (src/gateway/young-generation.ts): set before anything loads.
if (process.argv[2] === 'serve') setFlagsFromString('--semi-space-growth-factor=1')

// The bundle (scripts/bundle.mjs) when it is built, else tsc's output of the same source.
const bundle = new URL('../dist/bundle/main.js', import.meta.url)
const entry = existsSync(bundle) ? bundle : new URL('../dist/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write(
    'omnigate: dist/ is missing; run `npm ci` (or `npm run build`) in the checkout first\n',
  )
  process.exit(1)
}
// Stack traces name src/ files and lines, through the bundle's source maps.
if (entry === bundle) process.setSourceMapsEnabled(true)
const { main } = await import(entry.href)
const code = await main(process.argv.slice(2))
// Exit now rather than when the event loop drains: a natural exit first closes node's signal
// handles, and a signal arriving in that window kills the process by its default action. A Ctrl-C
// reaches `npm start`'s daemon twice (from the terminal, then forwarded by npm, late on a busy
// machine), so a daemon that had stopped cleanly was reported as killed by SIGINT. Logs are written
// synchronously (pino's default destination), so nothing is cut off.
process.exit(code)
