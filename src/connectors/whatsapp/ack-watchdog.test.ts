import { describe, expect, it } from 'vitest'
import { findUndelivered, isUndelivered } from './ack-watchdog.js'

const now = new Date('2025-03-01T12:00:00.000Z')
const HOUR = 3_600_000

describe('ack watchdog', () => {
  it.each([
    ['2025-03-01T10:59:59.999Z', true], // just over an hour
    ['2025-03-01T11:00:00.000Z', true], // exactly the limit
    ['2025-03-01T11:00:00.001Z', false],
    ['2025-03-01T12:30:00.000Z', false], // clock skew: sent "in the future"
    ['not a date', false],
  ])('sent at %s → undelivered %s', (sentAt, expected) => {
    expect(isUndelivered(sentAt, now, HOUR)).toBe(expected)
  })

  it('returns the overdue messages oldest first and leaves the rest', () => {
    const sent = [
      { messageId: 'msg_b', sentAt: '2025-03-01T09:00:00.000Z' },
      { messageId: 'msg_c', sentAt: '2025-03-01T11:30:00.000Z' },
      { messageId: 'msg_a', sentAt: '2025-03-01T08:00:00.000Z' },
    ]
    expect(findUndelivered(sent, now, HOUR).map((m) => m.messageId)).toEqual(['msg_a', 'msg_b'])
    expect(findUndelivered([], now, HOUR)).toEqual([])
  })
})
