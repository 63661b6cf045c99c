import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { daemonId } from './daemon-id.js'

describe('daemonId', () => {
  it('is <hostname>-<pid> by default, as PostgreSQL will show it', () => {
    const id = daemonId({})
    expect(id.endsWith(`-${process.pid}`)).toBe(true)
    expect(id.startsWith(hostname().slice(0, 20))).toBe(true)
    expect(Buffer.byteLength(id)).toBeLessThanOrEqual(63)
  })

  it('takes OMNIGATE_DAEMON_ID when set', () => {
    expect(daemonId({ OMNIGATE_DAEMON_ID: 'gw-a' })).toBe('gw-a')
    expect(daemonId({ OMNIGATE_DAEMON_ID: '' })).toMatch(/-\d+$/)
  })

  it('refuses an id application_name would change (too long, not printable ASCII)', () => {
    expect(() => daemonId({ OMNIGATE_DAEMON_ID: 'x'.repeat(64) })).toThrow(/OMNIGATE_DAEMON_ID/)
    expect(() => daemonId({ OMNIGATE_DAEMON_ID: 'gw-ä' })).toThrow(/OMNIGATE_DAEMON_ID/)
    expect(daemonId({ OMNIGATE_DAEMON_ID: 'x'.repeat(63) })).toHaveLength(63)
  })
})
