import { describe, expect, it } from 'vitest'
import { addressKindForType, normalizeAddress, type AddressKind } from './address.js'

const ok: [AddressKind, string, string][] = [
  ['phone', '+442079460958', '+442079460958'],
  ['phone', '+44 20 7946 0958', '+442079460958'],
  ['phone', ' +1 (415) 555-2671 ', '+14155552671'],
  ['phone', '+49-30-1234567', '+49301234567'],
  ['email', 'ana@example.com', 'ana@example.com'],
  ['email', 'Ana.Lima+tag@Mail.Example.COM', 'ana.lima+tag@mail.example.com'],
  ['email', "o'brien@xn--mnchen-3ya.de", "o'brien@xn--mnchen-3ya.de"],
  ['telegram', '123456789', '123456789'],
  ['telegram', '-1001234567890', '-1001234567890'],
  ['telegram', '9223372036854775807', '9223372036854775807'],
  ['line', `U${'0123456789abcdef'.repeat(2)}`, `U${'0123456789abcdef'.repeat(2)}`],
  ['push', '{"endpoint":"https://push.example/1"}', '{"endpoint":"https://push.example/1"}'],
  ['any', ' anything@all ', 'anything@all'],
]

const bad: [AddressKind, string][] = [
  ['phone', '4155552671'], // no leading +
  ['phone', '00442079460958'],
  ['phone', '+1 415 555 267'], // too short
  ['phone', '+1-800-FLOWERS'],
  ['phone', '+7 999 123-45-67 x12'],
  ['phone', '+'],
  ['email', 'ana.example.com'],
  ['email', 'ana @example.com'],
  ['email', 'Ana <ana@example.com>'],
  ['email', 'ana@localhost'],
  ['email', 'ana@example'],
  ['email', 'ana@-example.com'],
  ['email', 'ana@example..com'],
  ['email', 'ana..lima@example.com'],
  ['email', '@example.com'],
  ['email', 'ana@1.2.3.4'],
  ['email', `${'a'.repeat(65)}@example.com`],
  ['telegram', '12.5'],
  ['telegram', '@username'],
  ['telegram', '0123'],
  ['telegram', '9223372036854775808'], // above int64
  ['line', `U${'0123456789abcdef'.repeat(2)}0`], // 33 hex
  ['line', `U${'0123456789abcdef'.repeat(2).slice(1)}`], // 31 hex
  ['line', `U${'0123456789ABCDEF'.repeat(2)}`],
  ['line', `u${'0123456789abcdef'.repeat(2)}`],
  ['push', '   '],
  ['any', ''],
  ['any', 'x'.repeat(321)],
]

describe('normalizeAddress', () => {
  it.each(ok)('%s %j → %j', (kind, raw, want) => {
    expect(normalizeAddress(kind, raw)).toEqual({ ok: true, address: want })
  })

  it.each(bad)('%s %j is refused with a reason', (kind, raw) => {
    const r = normalizeAddress(kind, raw)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).not.toBe('')
  })
})

describe('addressKindForType', () => {
  it.each([
    ['telegram', undefined, 'telegram'],
    ['whatsapp', undefined, 'phone'],
    ['whatsapp-cloud', undefined, 'phone'],
    ['line', undefined, 'line'],
    ['email', undefined, 'email'],
    ['webpush', undefined, 'push'],
    ['webhook', undefined, 'any'],
    ['webhook', 'phone', 'phone'],
    ['webhook', 'email', 'email'],
  ] as const)('%s (%s) → %s', (type, setting, want) => {
    expect(addressKindForType(type, setting)).toBe(want)
  })
})
