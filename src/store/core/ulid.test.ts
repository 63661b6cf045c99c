import { describe, expect, it } from 'vitest'
import { ulidFactory } from './ulid.js'

describe('ulidFactory', () => {
  it('makes unique, ascending ULIDs whose random part uses the whole alphabet', () => {
    const next = ulidFactory()
    const ids = Array.from({ length: 5000 }, () => next())
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
    // Ids of one millisecond count up from one random draw; each new millisecond draws afresh.
    // Across the pool's refills every one of Crockford's 32 characters turns up in the draws.
    const draw = ulidFactory()
    const fresh = Array.from({ length: 500 }, (_, i) => draw(1_700_000_000_000 + i))
    const counts = new Map<string, number>()
    for (const id of fresh) for (const c of id.slice(10)) counts.set(c, (counts.get(c) ?? 0) + 1)
    expect(counts.size).toBe(32)
    // 8 000 draws over 32 characters: ≈ 250 each; a stuck or skewed source lands far outside.
    for (const n of counts.values()) expect(n).toBeGreaterThan(150)
  })
})
