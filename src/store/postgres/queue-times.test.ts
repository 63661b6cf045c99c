/**
 * Regression (found running the API suite on PostgreSQL): bulk pacing schedules sends at fractions
 * of a millisecond (`next_due_at: 1796428848718.5`). SQLite keeps them; PostgreSQL's `bigint`
 * refused them and every bulk chunk failed. Queue times are `double precision` now. Runs on
 * whichever store the suite runs on, so both must answer alike.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { openTempStore, type TempStore } from '../test-fixtures.js'

describe('queue times (epoch ms) keep their fractions', () => {
  let t: TempStore | undefined
  afterEach(async () => {
    await t?.dispose()
    t = undefined
  })

  it('in a bulk’s next_due_at and an outbox job’s due time', async () => {
    t = await openTempStore()
    const id = (await t.fx.contact({ first_name: 'Ana' })).id
    const due = Date.parse('2026-01-01T00:00:00.000Z') + 0.5
    const b = await t.store.bulk.create(
      {
        id: 'bk_frac',
        channel: 'tg',
        author: { kind: 'app', id: 'shop' },
        spec: {},
        contactIds: [id],
        next_due_at: due,
      },
      t.fx.now(),
    )
    expect(b.next_due_at).toBe(due)
    const plan = t.fx.outPlan(id)
    expect(await t.store.accept({ ...plan, outbox: { ...plan.outbox, dueAt: due } })).toMatchObject(
      {
        ok: true,
      },
    )
    const [job] = await t.store.outbox.lease(due + 1, 10, 60_000)
    expect(job?.dueAt).toBe(due)
    expect(await t.store.outbox.nextDue()).toBe(due + 1 + 60_000)
  })
})
