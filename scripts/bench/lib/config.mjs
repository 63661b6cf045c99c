/**
 * Config files of the daemons under test. Every daemon listens on a free port (127.0.0.1:0), keeps
 * its data in the run's folder, and has one `app` key. The API's own per-key rate limit is lifted:
 * the bench is one client driving the load of many.
 */
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The bench's API key (a throwaway, only ever used against local daemons). */
const BENCH_KEY = 'bench-app-key-0123456789abcdef'
const RELAY_SECRET = 'bench-relay-secret'
export const AUTH = { authorization: `Bearer ${BENCH_KEY}` }

const sha = createHash('sha256').update(BENCH_KEY).digest('hex')

/**
 * A webhook channel `sms` (phone addresses) pointed at `relayUrl`, with `rate` as its rules and
 * `timeout` as the deadline of one relay call.
 */
export function webhookChannel(relayUrl, { rate, timeout = '10s', name = 'sms' } = {}) {
  const rules = rate
    ? `\n    rules:\n      rate: { per_second: ${rate.perSecond}, per_recipient_per_second: ${rate.perRecipient} }`
    : ''
  return `  ${name}:
    type: webhook
    url: ${relayUrl}
    secret: ${RELAY_SECRET}
    address: phone
    timeout: ${timeout}${rules}
`
}

/**
 * Writes `<dir>/gateway.config.yaml` for a daemon on `db` (or on `postgres`, a `{url, pool}` for
 * `store.postgres`) with the given channels block.
 */
export function writeConfig(dir, { db, postgres = null, channels, dispatcher = '', extra = '' }) {
  const store = postgres
    ? `postgres: { url: "${postgres.url}", pool: ${postgres.pool} }`
    : `sqlite: ${db}`
  const file = join(dir, 'gateway.config.yaml')
  writeFileSync(
    file,
    `server:
  listen: 127.0.0.1:0
  public_url: http://127.0.0.1:8080
  rate_limit: { per_second: 10000000, burst: 10000000 }
auth:
  keys:
    - { id: bench, role: app, sha256: "${sha}" }
store:
  ${store}
${dispatcher ? `dispatcher:\n${dispatcher}` : ''}channels:
${channels}${extra}`,
  )
  return file
}
