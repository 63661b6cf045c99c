import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkVapidKeys, generateVapidKeys, loadOrCreateVapidKeys } from './vapid.js'

const root = mkdtempSync(join(tmpdir(), 'omnigate-vapid-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('VAPID keys', () => {
  it('generates a valid pair: a 65-byte public point matching a 32-byte private key', () => {
    const keys = generateVapidKeys()
    expect(Buffer.from(keys.publicKey, 'base64url')).toHaveLength(65)
    expect(Buffer.from(keys.privateKey, 'base64url')).toHaveLength(32)
    expect(checkVapidKeys(keys)).toBeNull()
    expect(generateVapidKeys().publicKey).not.toBe(keys.publicKey)
  })

  it.each([
    [
      'a public key of another pair',
      () => ({ ...generateVapidKeys(), publicKey: generateVapidKeys().publicKey }),
      'does not belong',
    ],
    [
      'a padded/standard base64 public key',
      () => ({ ...generateVapidKeys(), publicKey: 'ab+/==' }),
      'vapid.public_key',
    ],
    [
      'a short private key',
      () => ({ ...generateVapidKeys(), privateKey: 'AAAA' }),
      'vapid.private_key',
    ],
    ['an empty pair', () => ({ publicKey: '', privateKey: '' }), 'vapid.public_key'],
  ])('refuses %s', (_what, make, message) => {
    expect(checkVapidKeys(make())).toContain(message)
  })

  it('creates the file once, then loads the same pair, leaving no temp file behind', () => {
    const dir = join(root, 'nested', 'data') // created on demand
    const first = loadOrCreateVapidKeys(dir, 'push')
    const second = loadOrCreateVapidKeys(dir, 'push')
    expect(first.created).toBe(true)
    expect(second).toEqual({ keys: first.keys, created: false })
    expect(readdirSync(dir)).toEqual(['vapid-push.json'])
    expect(loadOrCreateVapidKeys(dir, 'other').keys.publicKey).not.toBe(first.keys.publicKey)
  })
})
