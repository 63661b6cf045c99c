/**
 * The total retry window of an app webhook's default `retry` schedule, computed from the real
 * backoff function, is the one docs/configuration.md states (the docs said "about a day" while
 * the curve gave 9 to 18 hours).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exponentialDelay } from '../../connectors/shared/backoff.js'
import { loadConfig } from '../config/load.js'
import { WEBHOOK_BACKOFF_BASE_MS } from './webhook-worker.js'

/** Sum of the waits between `attempts` tries with the jitter factor at its low or high end. */
function windowMs(attempts: number, maxMs: number, random: number): number {
  let total = 0
  for (let a = 1; a < attempts; a++) {
    total += exponentialDelay(a, { baseMs: WEBHOOK_BACKOFF_BASE_MS, maxMs }, [0.5, 1], () => random)
  }
  return total
}

const hm = (ms: number) =>
  `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`

describe('app-webhook retry window', () => {
  it('defaults to 30 tries and 1h, spanning what docs/configuration.md says', () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnigate-window-'))
    const file = join(dir, 'gateway.config.yaml')
    writeFileSync(
      file,
      'webhooks:\n  - url: https://app.example/events\n    secret: s3cret-s3cret\n    events: ["*"]\n',
    )
    const cfg = loadConfig(file)
    rmSync(dir, { recursive: true, force: true })
    const { retry } = cfg.webhooks[0]!
    expect(retry).toEqual({ attempts: 30, backoff_max_ms: 3_600_000 })
    const docs = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8')
    const low = windowMs(retry.attempts, retry.backoff_max_ms, 0)
    const high = windowMs(retry.attempts, retry.backoff_max_ms, 1)
    expect(docs).toContain(`between ${hm(low)} and ${hm(high)}`)
    const seconds = String(high / 1000).replace(/\B(?=(\d{3})+$)/g, ' ')
    expect(docs).toContain(`(${seconds} s before jitter)`)
  })
})
