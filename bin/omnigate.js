#!/usr/bin/env node
// The omnigate command. Plain JS run by node itself (one process), so SIGHUP and SIGTERM reach the
// daemon. The TypeScript is compiled to dist/ by `npm ci` (the `prepare` script).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('omnigate: dist/ is missing; run `npm ci` (or `npm run build`) in the checkout first\n')
  process.exit(1)
}
const { main } = await import(entry.href)
const code = await main(process.argv.slice(2))
// Exit now rather than when the event loop drains: a natural exit first closes node's signal
// handles, and a signal arriving in that window kills the process by its default action. A Ctrl-C
// reaches `npm start`'s daemon twice (from the terminal, then forwarded by npm, late on a busy
// machine), so a daemon that had stopped cleanly was reported as killed by SIGINT. Logs are written
// synchronously (pino's default destination), so nothing is cut off.
process.exit(code)
