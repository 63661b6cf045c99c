/**
 * compose.yaml, read as Compose reads it: the image built from this checkout, the data folder on
 * a named volume, the admin key required from the environment, the same health probe as the
 * image, a restart policy, and time for the graceful stop before Docker kills.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ROOT } from './run-check.js'

const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'))
const svc = compose.services.omnigate
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')

const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN)

describe('compose.yaml', () => {
  it('builds this checkout and keeps the data folder on a named volume', () => {
    expect(svc.build).toBe('.')
    const [volume, target] = String(svc.volumes[0]).split(':')
    expect(target).toBe('/data')
    expect(dockerfile).toContain('"--data", "/data"')
    expect(compose.volumes).toHaveProperty(volume!)
  })

  it('requires the admin key from the environment and restarts the daemon', () => {
    expect(svc.environment.OMNIGATE_ADMIN_KEY).toMatch(/^\$\{OMNIGATE_ADMIN_KEY:\?.+\}$/)
    expect(svc.restart).toBe('unless-stopped')
  })

  it('probes the health the image probes, and leaves the graceful stop its 10 s', () => {
    const probe = svc.healthcheck.test.at(-1)
    expect(dockerfile).toContain(probe)
    expect(svc.ports).toEqual(['127.0.0.1:8080:8080'])
    expect(seconds(svc.stop_grace_period)).toBeGreaterThan(10)
  })
})
