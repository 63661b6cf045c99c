import { describe, expect, it } from 'vitest'
import { Health, STALE_AFTER_MS } from './index.js'

function clock(start = 1_700_000_000_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('Health', () => {
  it('is ready with no problems and fresh loops', () => {
    const c = clock()
    const h = new Health(c.now)
    h.register('outbox')
    h.tick('outbox')
    expect(h.ready()).toBe(true)
    expect(h.problems()).toEqual([])
  })

  it('names a loop that has not ticked in 30 s, and forgets it after a good tick', () => {
    const c = clock()
    const h = new Health(c.now)
    h.register('webhooks')
    c.advance(STALE_AFTER_MS + 1)
    expect(h.problems()).toEqual([
      {
        component: 'webhooks',
        code: 'loop_stalled',
        since: new Date(c.now() - STALE_AFTER_MS - 1).toISOString(),
      },
    ])
    h.error('webhooks')
    h.tick('webhooks')
    expect(h.ready()).toBe(true)
    expect(h.loops()).toEqual([{ name: 'webhooks', lastGoodTickAgeSeconds: 0, errors: 1 }])
  })

  it('keeps a standing problem, with its first time, until cleared', () => {
    const c = clock()
    const h = new Health(c.now)
    h.set('store', 'disk_full', 'SQLITE_FULL')
    const since = h.problems()[0]?.since
    c.advance(5000)
    h.set('store', 'disk_full')
    expect(h.problems()).toEqual([
      { component: 'store', code: 'disk_full', since, detail: 'SQLITE_FULL' },
    ])
    h.set('store', 'store_unwritable')
    h.clear('store', 'disk_full')
    expect(h.problems().map((p) => p.code)).toEqual(['store_unwritable'])
    h.clear('store')
    expect(h.ready()).toBe(true)
  })

  it('does not expect an unregistered loop', () => {
    const c = clock()
    const h = new Health(c.now)
    h.register('bulk')
    h.unregister('bulk')
    c.advance(STALE_AFTER_MS * 2)
    expect(h.ready()).toBe(true)
  })
})
