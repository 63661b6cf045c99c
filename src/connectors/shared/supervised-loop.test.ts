import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { LoopHealthSink } from '../types.js'
import { HEARTBEAT_MS, SupervisedLoop, type SupervisedLoopOptions } from './supervised-loop.js'

/** A health board that records what the loop reports. */
function board() {
  const calls: string[] = []
  const sink: LoopHealthSink = {
    register: (n) => void calls.push(`register ${n}`),
    tick: (n) => void calls.push(`tick ${n}`),
    error: (n) => void calls.push(`error ${n}`),
    unregister: (n) => void calls.push(`unregister ${n}`),
  }
  return { sink, calls, count: (what: string) => calls.filter((c) => c.startsWith(what)).length }
}

/** A logger whose JSON lines are kept. */
function recordingLog() {
  const lines: Record<string, any>[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, any>)
      done()
    },
  })
  return { log: pino({ level: 'debug' }, stream), lines }
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** A store boundary that fails its first `n` calls the way a locked SQLite file does. */
function flakyQueue(n: number, items: number[]) {
  let calls = 0
  return {
    take(): number | undefined {
      if (calls++ < n) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
      return items.shift()
    },
  }
}

const loops: SupervisedLoop[] = []
function loop(o: Partial<SupervisedLoopOptions> & Pick<SupervisedLoopOptions, 'tick'>) {
  const l = new SupervisedLoop({
    name: 'test',
    log: pino({ level: 'silent' }),
    idleMs: 60_000,
    backoff: { baseMs: 4, maxMs: 16 },
    ...o,
  })
  loops.push(l)
  return l
}

afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(loops.splice(0).map((l) => l.stop()))
})

describe('SupervisedLoop', () => {
  it('a tick that throws is logged, counted and backed off, and the loop goes on', async () => {
    const b = board()
    const { log, lines } = recordingLog()
    const queue = flakyQueue(3, [1, 2, 3])
    const done: number[] = []
    const l = loop({
      name: 'webhooks',
      log: log.child({ component: 'webhooks' }),
      health: b.sink,
      random: () => 0,
      tick: () => {
        const item = queue.take()
        if (item === undefined) return 'idle'
        done.push(item)
        return 'busy'
      },
    })
    l.start()
    await until(() => done.length === 3)
    expect(b.count('error')).toBe(3)
    const errors = lines.filter((l) => l.level === 50)
    expect(errors).toHaveLength(3)
    expect(errors[0]).toMatchObject({
      component: 'webhooks',
      loop: 'webhooks',
      failures: 1,
      err: { message: 'database is locked' },
    })
    // Exponential (jitter pinned at its low end: half the step), capped at maxMs.
    expect(errors.map((e) => e.retry_in_ms)).toEqual([2, 4, 8])
    expect(lines.some((l) => l.msg === 'loop recovered' && l.failures === 3)).toBe(true)
    expect(b.calls[0]).toBe('register webhooks')
    await l.stop()
    expect(b.calls.at(-1)).toBe('unregister webhooks')
  })

  it('backs off up to the cap and starts again from the base after a good tick', async () => {
    const { log, lines } = recordingLog()
    let calls = 0
    const l = loop({
      log,
      random: () => 0.999999,
      tick: () => {
        calls++
        if (calls <= 5 || calls === 7) throw new Error(`failure ${calls}`)
        return 'busy'
      },
    })
    l.start()
    await until(() => calls >= 8)
    const waits = lines.filter((l) => l.level === 50).map((e) => e.retry_in_ms)
    expect(waits).toEqual([4, 8, 16, 16, 16, 4])
  })

  it('kick() ends an idle wait at once, and a kick during a tick skips the next wait', async () => {
    let ticks = 0
    let l: SupervisedLoop | null = null
    l = loop({
      idleMs: 60_000,
      tick: () => {
        ticks++
        if (ticks === 2) l?.kick() // new work arrived while this tick ran
        return 'idle'
      },
    })
    l.start()
    await until(() => ticks === 1)
    l.kick()
    await until(() => ticks === 3)
    await new Promise((r) => setTimeout(r, 50))
    expect(ticks).toBe(3)
  })

  it('does not let kick() cut the pause after an error short', async () => {
    const { log, lines } = recordingLog()
    let ticks = 0
    const l = loop({
      log,
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      tick: () => {
        ticks++
        throw new Error('store down')
      },
    })
    l.start()
    await until(() => lines.length === 1)
    l.kick()
    await new Promise((r) => setTimeout(r, 50))
    expect(ticks).toBe(1)
  })

  it('stop() waits for the tick in hand, then unregisters; no tick after it', async () => {
    const b = board()
    let release: () => void = () => undefined
    let ticks = 0
    const l = loop({
      health: b.sink,
      tick: async () => {
        ticks++
        await new Promise<void>((r) => (release = r))
        return 'busy' as const
      },
    })
    l.start()
    await until(() => ticks === 1)
    let stopped = false
    const stopping = l.stop().then(() => (stopped = true))
    await new Promise((r) => setTimeout(r, 20))
    expect(stopped).toBe(false)
    release()
    await stopping
    expect(ticks).toBe(1)
    expect(l.active).toBe(false)
    expect(b.calls.at(-1)).toBe('unregister test')
  })

  it('never starves the event loop, even when every tick asks to run again at once', async () => {
    let ticks = 0
    const l = loop({
      tick: () => {
        ticks++
        return ticks % 2 === 0 ? 'busy' : { waitMs: 0 }
      },
    })
    l.start()
    await new Promise((r) => setTimeout(r, 20)) // a timer still fires
    expect(ticks).toBeGreaterThan(1)
  })

  it('stops when its signal aborts, even in the middle of a long wait', async () => {
    const ctl = new AbortController()
    const l = loop({ signal: ctl.signal, tick: () => ({ waitMs: 3_600_000 }) })
    l.start()
    await new Promise((r) => setTimeout(r, 10))
    ctl.abort()
    await l.finished
    expect(l.active).toBe(false)
  })

  it('`done` ends the loop; `backoff` keeps reporting good ticks while it waits', async () => {
    const b = board()
    let answers = ['unknown', 'unknown', 'ok']
    const l = loop({
      health: b.sink,
      tick: () => (answers.shift() === 'ok' ? 'done' : 'backoff'),
    })
    l.start()
    await l.finished
    answers = []
    expect(b.count('error')).toBe(0)
    expect(b.count('tick')).toBe(3)
    expect(b.calls.at(-1)).toBe('unregister test')
  })

  it('says it is alive at each heartbeat of a long wait, not only when it works', async () => {
    vi.useFakeTimers()
    const b = board()
    let ticks = 0
    const l = loop({
      health: b.sink,
      tick: () => {
        ticks++
        return { waitMs: 5 * 60_000 } // a watchdog with a long period
      },
    })
    l.start()
    await vi.advanceTimersByTimeAsync(1)
    expect(b.count('tick')).toBe(1)
    await vi.advanceTimersByTimeAsync(3 * HEARTBEAT_MS)
    expect(ticks).toBe(1)
    expect(b.count('tick')).toBe(4)
  })

  it('keepAlive() reports a tick that waits on bounded work as alive; a plain await does not', async () => {
    vi.useFakeTimers()
    const slow = () => new Promise((r) => setTimeout(r, 45_000)) // a long poll
    const kept = board()
    const plain = board()
    const a = loop({
      name: 'kept',
      health: kept.sink,
      tick: async (t) => void (await t.keepAlive(slow())),
    })
    const b = loop({ name: 'plain', health: plain.sink, tick: async () => void (await slow()) })
    a.start()
    b.start()
    await vi.advanceTimersByTimeAsync(40_000)
    expect(kept.count('tick')).toBe(4)
    expect(plain.count('tick')).toBe(0) // stuck as far as /readyz can tell
    // Let the ticks in hand end while the fake clock still runs.
    const stopping = Promise.all([a.stop(), b.stop()])
    await vi.advanceTimersByTimeAsync(10_000)
    await stopping
  })

  it('reports no heartbeat while it backs off after errors', async () => {
    vi.useFakeTimers()
    const b = board()
    const l = loop({
      health: b.sink,
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      random: () => 0.999999,
      tick: () => {
        throw new Error('store down')
      },
    })
    l.start()
    await vi.advanceTimersByTimeAsync(3 * HEARTBEAT_MS)
    expect(b.count('tick')).toBe(0)
    expect(b.count('error')).toBe(1)
  })
})
