/**
 * OutcomeBatch on a real SQLite store: one flush at a time, and what is recorded meanwhile goes
 * in one flush right after it (send-outcomes.ts). The store's `outbox.record` is wrapped to count
 * its calls and to hold the first one open, as a slow commit would.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore } from '../../store/index.js'
import type { Store } from '../../store/types.js'
import { InProcessBus } from '../live/bus.js'
import type { Services } from '../services.js'
import { OutcomeBatch } from './send-outcomes.js'

const log = pino({ level: 'silent' })
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r))

describe('OutcomeBatch', () => {
  let dir: string
  let store: Store

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'omnigate-outcomes-'))
    store = await openStore({ file: join(dir, 'omnigate.db'), dataDir: dir })
  })
  afterEach(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('writes the outcomes recorded during a flush together, once it is over', async () => {
    const calls: number[][] = []
    let release = (): void => {}
    const held = new Promise<void>((r) => (release = r))
    const record = store.outbox.record.bind(store.outbox)
    store.outbox.record = async (outcomes) => {
      calls.push(outcomes.map((o) => o.jobId))
      if (calls.length === 1) await held
      return record(outcomes)
    }
    let flushes = 0
    const svc = { store, events: () => [], live: new InProcessBus(log) } as unknown as Services
    const batch = new OutcomeBatch(svc, log, { stopped: () => false, flushed: () => flushes++ })

    batch.record({ kind: 'release', jobId: 1, due: 0 })
    await nextTurn()
    expect(calls).toEqual([[1]])
    // Two more ticks' outcomes while the first flush is in the store.
    batch.record({ kind: 'release', jobId: 2, due: 0 })
    await nextTurn()
    batch.record({ kind: 'release', jobId: 3, due: 0 })
    await nextTurn()
    expect(calls).toEqual([[1]])

    release()
    await batch.close()
    expect(calls).toEqual([[1], [2, 3]])
    expect(flushes).toBe(2)
  })

  it('flushes a tick on its own when nothing is under way', async () => {
    const calls: number[][] = []
    const record = store.outbox.record.bind(store.outbox)
    store.outbox.record = async (outcomes) => {
      calls.push(outcomes.map((o) => o.jobId))
      return record(outcomes)
    }
    const svc = { store, events: () => [], live: new InProcessBus(log) } as unknown as Services
    const batch = new OutcomeBatch(svc, log, { stopped: () => false, flushed: () => {} })
    batch.record({ kind: 'release', jobId: 1, due: 0 })
    batch.record({ kind: 'release', jobId: 2, due: 0 })
    await batch.close()
    batch.record({ kind: 'release', jobId: 3, due: 0 })
    await batch.close()
    expect(calls).toEqual([[1, 2], [3]])
  })
})
