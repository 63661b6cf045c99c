/**
 * Store side of the ack watchdog (migration 3): which messages await an ack, flagging once with
 * the event in the same transaction, the index the query runs on, and the upgrade of an older file.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, storeVersion } from '../index.js'
import { openTempStore, type TempStore } from '../test-fixtures.js'
import type { NewEvent } from '../types.js'
import { AWAITING_ACK_SQL } from './message-repo.js'
import { migrate } from './migrate.js'
import { initial } from './migrations/001-initial.js'
import { MIGRATIONS, SCHEMA_VERSION } from './migrations/index.js'
import { openDatabase } from './open-database.js'

let t: TempStore
beforeEach(async () => {
  t = await openTempStore()
})
afterEach(() => t.dispose())

/** A message on `tg` moved to `sent` at the fixture clock's next tick; returns its id and time. */
async function sentMessage(): Promise<{ id: string; sentAt: string }> {
  const contactId = (await t.fx.contact({})).id
  const o = await t.store.accept(t.fx.outPlan(contactId))
  if (!o.ok) throw new Error('accept failed')
  const sentAt = t.fx.now()
  expect(await t.store.messages.advance(o.messageId, 'sent', sentAt, {}, [])).toBe(true)
  return { id: o.messageId, sentAt }
}

const event = (id: string): NewEvent[] => [
  {
    id,
    type: 'message.undelivered',
    created_at: '2025-01-01T00:00:00.000Z',
    data: {},
    targets: ['https://a.example'],
  },
]

describe('messages awaiting an ack', () => {
  it('lists sent, unflagged messages sent at or before the limit, oldest first', async () => {
    const a = await sentMessage()
    const b = await sentMessage()
    const list = async (before: string, limit = 10) =>
      (await t.store.messages.listAwaitingAck('tg', before, limit)).map((m) => m.id)
    expect(await list(a.sentAt)).toEqual([a.id])
    expect(await list(b.sentAt)).toEqual([a.id, b.id])
    expect(await list(b.sentAt, 1)).toEqual([a.id])
    expect(await t.store.messages.listAwaitingAck('other', b.sentAt, 10)).toEqual([])
    await t.store.messages.advance(a.id, 'delivered', t.fx.now(), {}, [])
    expect(await list(b.sentAt)).toEqual([b.id])
  })

  it('flags a message once, queuing its event only then; delivered ones are not flagged', async () => {
    const a = await sentMessage()
    const b = await sentMessage()
    const at = t.fx.now()
    expect(await t.store.messages.flagUndelivered(a.id, at, event('ev_1'))).toBe(true)
    expect(await t.store.messages.flagUndelivered(a.id, t.fx.now(), event('ev_2'))).toBe(false)
    expect(await t.store.messages.get(a.id)).toMatchObject({
      status: 'sent',
      undelivered_after: at,
    })
    expect((await t.store.messages.listAwaitingAck('tg', at, 10)).map((m) => m.id)).toEqual([b.id])

    await t.store.messages.advance(b.id, 'read', t.fx.now(), {}, [])
    expect(await t.store.messages.flagUndelivered(b.id, t.fx.now(), event('ev_3'))).toBe(false)
    expect((await t.store.messages.get(b.id))?.undelivered_after).toBeNull()
    expect((await t.store.webhooks.lease(Date.now(), 10, 1000)).map((d) => d.eventId)).toEqual([
      'ev_1',
    ])

    // A late delivery ack still moves the message on; the flag stays as history.
    expect(await t.store.messages.advance(a.id, 'delivered', t.fx.now(), {}, [])).toBe(true)
    expect(await t.store.messages.get(a.id)).toMatchObject({
      status: 'delivered',
      undelivered_after: at,
    })
  })

  it('answers from the partial index, without sorting', async () => {
    const db = openDatabase(':memory:')
    migrate(db, MIGRATIONS, '2025-01-01T00:00:00Z')
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${AWAITING_ACK_SQL}`).all('tg', 'x', 10) as {
      detail: string
    }[]
    const details = plan.map((p) => p.detail).join('\n')
    expect(details).toMatch(/USING INDEX messages_awaiting_ack/)
    expect(details).not.toMatch(/TEMP B-TREE/)
    db.close()
  })
})

describe('migration 3 (undelivered)', () => {
  it('upgrades a database built by migration 1 alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnigate-mig3-'))
    try {
      const file = join(dir, 'omnigate.db')
      const db = openDatabase(file)
      migrate(db, [initial], '2025-01-01T00:00:00Z')
      db.close()
      expect(storeVersion(file).version).toBe(1)
      await (await openStore({ file, dataDir: dir })).close()
      expect(storeVersion(file).version).toBe(SCHEMA_VERSION)
      const check = openDatabase(file, { readonly: true })
      const cols = check.prepare(`SELECT name FROM pragma_table_info('messages')`).all() as {
        name: string
      }[]
      expect(cols.map((c) => c.name)).toContain('undelivered_after')
      check.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
