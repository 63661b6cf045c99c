/**
 * `LISTEN/NOTIFY` as the store's notifications port (DESIGN §10 "live streams across daemons").
 * Sending goes through the pool: every payload of a call in one statement, so they are delivered
 * together and in order at its commit. Listening holds a connection of its own, outside the pool
 * (a pooled connection would be handed to other work and its LISTEN lost), and opens it again with
 * backoff when the server restarts or the connection is killed.
 *
 * NOTIFY refuses a payload of 8000 bytes or more. A larger one is kept in `kv` (scope
 * `notify-spill`, key = time + random) by the same statement that notifies a reference to it, so
 * the row is committed before any listener hears of it; the listener reads it back on its own
 * connection. Spills older than SPILL_TTL_MS are swept by the next spill: a listener that long
 * behind has lost its connection anyway. Each payload on the wire starts with `=` (as it is) or `@`
 * (a spill key), so no payload can be mistaken for a reference.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { ListenHooks, Listening, StoreNotifications } from '../types.js'
import type { Sql } from './exec.js'

/** PostgreSQL's limit is < 8000 bytes; the marker byte and a margin stay under it. */
const MAX_PAYLOAD_BYTES = 7_900
const SPILL_SCOPE = 'notify-spill'
/** A listener resolves a spill within milliseconds; minutes leave room for a slow one. */
const SPILL_TTL_MS = 5 * 60_000
/** First wait before listening again, doubled per failure up to the cap (a restart takes seconds). */
const RETRY_FIRST_MS = 200
const RETRY_MAX_MS = 10_000
/** A server that does not answer a connect in this long is treated as down (then retried). */
const CONNECT_TIMEOUT_MS = 5_000

const INLINE = '='
const SPILLED = '@'

const READ_SPILL = `SELECT value FROM kv WHERE scope = $1 AND key = $2`

/** The notifications port on a PostgreSQL pool (`sql`) and its URL (for listening connections). */
export function pgNotifications(
  sql: Sql,
  url: string,
  now: () => number = Date.now,
): StoreNotifications {
  return {
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
    async notify(channel, payloads) {
      if (payloads.length === 0) return
      const wire: string[] = []
      const spills: { key: string; value: string }[] = []
      for (const p of payloads) {
        if (Buffer.byteLength(p) <= MAX_PAYLOAD_BYTES) {
          wire.push(INLINE + p)
          continue
        }
        const key = spillKey(now())
        spills.push({ key, value: p })
        wire.push(SPILLED + key)
      }
      // A function scan yields the array in order, and pg_notify queues in call order.
      const send = `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`
      if (spills.length === 0) {
        await sql.run(send, [channel, wire])
        return
      }
      await sql.run(
        `WITH spill AS (INSERT INTO kv (scope, key, value)
            SELECT $3, k, v FROM unnest($4::text[], $5::text[]) AS s (k, v)),
          sweep AS (DELETE FROM kv WHERE scope = $3 AND key COLLATE "C" < $6)
        ${send}`,
        [
          channel,
          wire,
          SPILL_SCOPE,
          spills.map((s) => s.key),
          spills.map((s) => s.value),
          spillKey(now() - SPILL_TTL_MS, ''),
        ],
      )
    },
    listen: (channel, onPayload, hooks = {}) => new Listener(url, channel, onPayload, hooks),
  }
}

/** Sorts by time as text: fixed-width ms, then randomness so two spills never share a key. */
function spillKey(ms: number, suffix = randomBytes(6).toString('hex')): string {
  return `${String(Math.max(0, Math.floor(ms))).padStart(15, '0')}.${suffix}`
}

/** One LISTEN connection and its reconnect loop. */
class Listener implements Listening {
  private client: pg.Client | null = null
  private timer: NodeJS.Timeout | null = null
  private closed = false
  private failures = 0
  /** Payloads are handed on in arrival order, a spill's read included. */
  private chain: Promise<void> = Promise.resolve()

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onPayload: (payload: string) => void,
    private readonly hooks: ListenHooks,
  ) {
    void this.connect()
  }

  private async connect(): Promise<void> {
    this.timer = null
    if (this.closed) return
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'omnigate-listen',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    })
    this.client = client
    let lost = false
    const fail = (error: Error): void => {
      if (lost) return
      lost = true
      void client.end().catch(() => undefined)
      if (this.client === client) this.client = null
      if (this.closed) return
      const retryMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.failures)
      this.failures++
      // Jitter: several daemons losing the server together do not all come back at once.
      const wait = Math.round(retryMs * (0.8 + Math.random() * 0.4))
      this.hooks.onLost?.(error, wait)
      this.timer = setTimeout(() => void this.connect(), wait)
      this.timer.unref()
    }
    client.on('error', fail)
    client.on('end', () => fail(new Error('the listening connection ended')))
    client.on('notification', (n) => {
      if (n.channel !== this.channel || n.payload === undefined) return
      const payload = n.payload
      this.chain = this.chain.then(() => this.receive(client, payload))
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`)
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)))
      return
    }
    if (this.closed) {
      await client.end().catch(() => undefined)
      return
    }
    this.failures = 0
    this.hooks.onListening?.()
  }

  private async receive(client: pg.Client, payload: string): Promise<void> {
    let text: string | undefined = payload.slice(1)
    if (payload.startsWith(SPILLED)) {
      try {
        const r = await client.query<{ value: string }>(READ_SPILL, [SPILL_SCOPE, text])
        text = r.rows[0]?.value
      } catch {
        text = undefined // the connection went: so did this payload (at most once)
      }
    } else if (!payload.startsWith(INLINE)) {
      return // not ours
    }
    if (text === undefined || this.closed) return
    try {
      this.onPayload(text)
    } catch {
      // the owner's problem; the listener goes on
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    const client = this.client
    this.client = null
    await client?.end().catch(() => undefined)
  }
}
