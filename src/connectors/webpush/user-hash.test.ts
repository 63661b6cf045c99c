import { describe, expect, it } from 'vitest'
import { userHash, verifyUserHash } from './user-hash.js'

// Vectors computed with `printf '<id>' | openssl dgst -sha256 -hmac '<secret>'`, as a site's backend would.
const VECTORS = [
  ['site-secret', 'user-42', '360ea68ccc98e76abe82ace2ab09553dc9a0814b9df79c2e0d396877aca6aa72'],
  ['sécret', 'Ünïcødé-42', 'a25ecd617cd6e6df587ab46aae551649558b03242f845bb53faee2fc1f79da87'],
] as const

describe('user_hash', () => {
  it.each(VECTORS)('HMAC-SHA256(%s, %s) in hex', (secret, id, hex) => {
    expect(userHash(secret, id)).toBe(hex)
    expect(verifyUserHash(secret, id, hex)).toBe(true)
    expect(verifyUserHash(secret, id, hex.toUpperCase())).toBe(true)
  })

  it.each([
    ['another user', 'site-secret', 'user-43', VECTORS[0][2]],
    ['another secret', 'other', 'user-42', VECTORS[0][2]],
    ['truncated', 'site-secret', 'user-42', VECTORS[0][2].slice(0, 63)],
    ['not hex', 'site-secret', 'user-42', `${VECTORS[0][2].slice(0, 63)}g`],
    [
      'base64 instead of hex',
      'site-secret',
      'user-42',
      Buffer.from(VECTORS[0][2], 'hex').toString('base64'),
    ],
    ['empty', 'site-secret', 'user-42', ''],
    ['no secret configured', '', 'user-42', userHash('', 'user-42')],
  ])('refuses %s', (_what, secret, id, hash) => {
    expect(verifyUserHash(secret, id, hash)).toBe(false)
  })
})
