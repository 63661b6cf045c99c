/**
 * Fixture builders for store tests (no raw SQL in tests): a temp data folder with a real SQLite
 * file, a stepping clock, and builders like
 * `fx.contact({ first_name: 'Ana' }).identity('tg', '42')`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import {
  createTestDatabase,
  dropTestDatabase,
  testStoreDialect,
} from '../../test/helpers/postgres.js'
import { openStore } from './index.js'
import type { AcceptPlan, InboundPlan, NewContact, Store, ThreadStatus } from './types.js'

export interface TempStore {
  store: Store
  dir: string
  file: string
  fx: Fx
  /** Closes and reopens the same file (data must survive). */
  reopen(): Promise<Store>
  dispose(): Promise<void>
}

export async function openTempStore(): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'omnigate-store-'))
  const file = join(dir, 'omnigate.db')
  // OMNIGATE_TEST_STORE=postgres: the same tests on a PostgreSQL database of their own, copied
  // from the migrated template (test/helpers/postgres.ts); `file` is then unused.
  // Pool 10 like the config's default: a test's hundreds of concurrent accepts queue for a
  // connection, and with 4 the 5 s wait for a free one ran out on a loaded machine.
  const database = `store_${basename(dir).replace(/\W/g, '_')}`.toLowerCase()
  const postgres =
    testStoreDialect() === 'postgres' ? { url: await createTestDatabase(database), pool: 10 } : null
  const open = () => openStore({ file, dataDir: dir, postgres })
  const t: TempStore = {
    store: await open(),
    dir,
    file,
    fx: undefined as unknown as Fx,
    async reopen() {
      await t.store.close()
      t.store = await open()
      t.fx = new Fx(t.store, t.fx)
      return t.store
    },
    async dispose() {
      await t.store.close()
      if (postgres) await dropTestDatabase(database)
      rmSync(dir, { recursive: true, force: true })
    },
  }
  t.fx = new Fx(t.store)
  return t
}

/** Builds contacts, threads and plans; every write uses the next tick of its clock (1 s apart). */
export class Fx {
  private n: number
  private t: number

  constructor(
    readonly store: Store,
    previous?: Fx,
  ) {
    this.n = previous?.n ?? 0
    this.t = previous?.t ?? Date.parse('2025-01-01T00:00:00.000Z')
  }

  /** The clock's next time (ISO). */
  now(): string {
    this.t += 1000
    return new Date(this.t).toISOString()
  }

  id(prefix: string): string {
    return `${prefix}_${String(++this.n).padStart(6, '0')}`
  }

  contact(fields: Omit<Partial<NewContact>, 'id'> = {}): ContactFx {
    return new ContactFx(this, { id: this.id('ct'), ...fields })
  }

  /** A send to an existing contact: a new thread on `tg` by default, agent `alice`. */
  outPlan(contactId: string, over: Partial<AcceptPlan> = {}): AcceptPlan {
    const msgId = this.id('msg')
    return {
      now: this.now(),
      contact: { existing: contactId },
      identity: { existing: 'id_any' },
      thread: {
        create: { id: this.id('th'), channel: 'tg', assignee: 'alice', tags: [] },
        singleOpen: true,
        actor: 'alice',
      },
      message: {
        id: msgId,
        channel: over.message?.channel ?? 'tg',
        author: { kind: 'agent', id: 'alice' },
        address: '42',
        text: `hello ${msgId}`,
        template: null,
        email: null,
      },
      attachments: [],
      outbox: { dueAt: this.t, recipientKey: `tg:42` },
      ...over,
    }
  }

  /** An inbound message on `tg` from `address` (a new contact when nobody has that address). */
  inPlan(address: string, over: Partial<InboundPlan> = {}): InboundPlan {
    const now = this.now()
    return {
      now,
      channel: 'tg',
      platformMessageId: this.id('pm'),
      address,
      newContact: { id: this.id('ct'), first_name: 'New' },
      newIdentityId: this.id('id'),
      newThreadId: this.id('th'),
      newMessageId: this.id('msg'),
      replyTo: [],
      text: 'hi',
      attachments: [],
      email: null,
      sentAt: now,
      events: { threadOpened: [], received: [] },
      ...over,
    }
  }
}

/** A contact as built: its id and the ids of the threads made for it, in order. */
export interface BuiltContact {
  id: string
  threadIds: string[]
}

/**
 * A contact being built: `identity()`, `thread()` and `wrote()` queue steps, and awaiting the
 * builder runs them in order (the contact is created first) and resolves to a BuiltContact.
 */
export class ContactFx implements PromiseLike<BuiltContact> {
  private readonly identities: { id: string; channel: string; address: string }[] = []
  private readonly steps: ((c: BuiltContact) => Promise<void>)[] = []

  constructor(
    private readonly fx: Fx,
    private readonly fields: NewContact,
  ) {}

  identity(channel: string, address: string): this {
    this.identities.push({ id: this.fx.id('id'), channel, address })
    return this
  }

  /** A thread on `channel` in the given state (opened, then closed or snoozed). */
  thread(
    channel: string,
    opts: { status?: ThreadStatus; assignee?: string | null; tags?: string[] } = {},
  ): this {
    this.steps.push(async (c) => {
      const s = this.fx.store.threads
      const id = this.fx.id('th')
      const t = {
        id,
        contact_id: c.id,
        channel,
        assignee: opts.assignee ?? null,
        tags: opts.tags ?? [],
      }
      await s.create(t, false, 'fixture', this.fx.now(), [])
      if (opts.status === 'closed') await s.close(id, false, 'fixture', this.fx.now(), [])
      if (opts.status === 'snoozed')
        await s.snooze(id, '2099-01-01T00:00:00.000Z', 'fixture', this.fx.now(), [])
      c.threadIds.push(id)
    })
    return this
  }

  /** The person writes on an identity of theirs (first/last inbound time, recency). */
  wrote(channel: string, address: string, text = 'hi'): this {
    this.steps.push(async () => {
      await this.fx.store.inbound.receive(this.fx.inPlan(address, { channel, text }))
    })
    return this
  }

  then<R1 = BuiltContact, R2 = never>(
    onfulfilled?: ((value: BuiltContact) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    return this.build().then(onfulfilled, onrejected)
  }

  private async build(): Promise<BuiltContact> {
    const c: BuiltContact = { id: this.fields.id, threadIds: [] }
    await this.fx.store.contacts.create(this.fields, this.identities, this.fx.now())
    for (const step of this.steps) await step(c)
    return c
  }
}
