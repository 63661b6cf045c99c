/**
 * Reads of one turn of the event loop in one round trip (DESIGN §8, P7). Each accept reads its
 * recipient's facts before the rules run (`contacts.recipient`: three or four statements); at 64
 * connections a turn brings several accepts, and each used to check out a connection and make a
 * round trip of its own. Here the reads asked for in the same turn go out together as one `many()`
 * (one connection, one simple query of `EXECUTE`s, each statement with its own snapshot as
 * before), and each caller gets its own statements' rows. A profile of P7's accept put the
 * daemon's socket writes, each waking a server process, at a fifth of its time.
 *
 * A failed batch is run again caller by caller, so an error reaches only the caller whose
 * statement caused it (a lost connection fails each on its own retry).
 */
import type { Sql, Statement } from './exec.js'

/** Statements in one batch at most; more callers wait for the next batch of the same turn. */
const MAX_STATEMENTS = 256

interface Waiting {
  statements: readonly Statement[]
  resolve: (rows: unknown[][]) => void
  reject: (error: unknown) => void
}

export function readGroup(sql: Pick<Sql, 'many'>): Pick<Sql, 'many'> {
  let queue: Waiting[] = []

  const alone = (w: Waiting): void => {
    sql.many(w.statements).then(w.resolve, w.reject)
  }

  const send = async (batch: Waiting[]): Promise<void> => {
    const [only] = batch
    if (batch.length === 1 && only) return alone(only)
    let rows: unknown[][]
    try {
      rows = await sql.many(batch.flatMap((w) => w.statements))
    } catch {
      batch.forEach(alone)
      return
    }
    let at = 0
    for (const w of batch) {
      w.resolve(rows.slice(at, at + w.statements.length))
      at += w.statements.length
    }
  }

  const flush = (): void => {
    const waiting = queue
    queue = []
    let batch: Waiting[] = []
    let size = 0
    for (const w of waiting) {
      if (batch.length > 0 && size + w.statements.length > MAX_STATEMENTS) {
        void send(batch)
        batch = []
        size = 0
      }
      batch.push(w)
      size += w.statements.length
    }
    if (batch.length > 0) void send(batch)
  }

  return {
    many: (statements) => {
      if (statements.length === 0) return Promise.resolve([])
      return new Promise<unknown[][]>((resolve, reject) => {
        queue.push({ statements, resolve, reject })
        if (queue.length === 1) setImmediate(flush)
      })
    },
  }
}
