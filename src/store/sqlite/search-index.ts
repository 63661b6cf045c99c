/**
 * Writes to the contact search index (contacts_fts, rowid = the contact's recency seq). FTS5
 * flushes its pending in-memory index whenever a write goes to a rowid below the last one, so a
 * group-commit batch that interleaves "delete old rowid, insert max+1" per send pays a segment
 * write per send (measured ≈ 5× the cost). Inside `batch()` the writes are therefore collected
 * and applied at the end in rowid order: all deletes ascending, then all inserts ascending.
 */
import type { Executor } from './executor.js'
import type { SearchText } from './search-text.js'

const INSERT = `INSERT INTO contacts_fts (rowid, first_name, last_name, email, phone)
  VALUES (?, ?, ?, ?, ?)`
const DELETE = `DELETE FROM contacts_fts WHERE rowid = ?`
const READ = `SELECT first_name, last_name, email, phone FROM contacts_fts WHERE rowid = ?`

type Op = { insert: number; text: SearchText } | { move: number; to: number }

export class SearchIndex {
  private deferred: Op[] | null = null

  constructor(private readonly x: Executor) {}

  /** Indexes a new contact at `seq`. */
  insert(seq: number, text: SearchText): void {
    if (this.deferred) this.deferred.push({ insert: seq, text })
    else this.write(seq, text)
  }

  /** The contact moved from rowid `from` to `to` (recency). */
  move(from: number, to: number): void {
    if (this.deferred) {
      this.deferred.push({ move: from, to })
      return
    }
    const text = this.read(from)
    this.x.stmt(DELETE).run(from)
    if (text) this.write(to, text)
  }

  /** Replaces the text at `seq` (a changed name, email or phone). Not deferred. */
  replace(seq: number, text: SearchText): void {
    this.x.stmt(DELETE).run(seq)
    this.write(seq, text)
  }

  /** Removes the text at `seq` (a contact merged into another: found through the survivor). */
  remove(seq: number): void {
    this.x.stmt(DELETE).run(seq)
  }

  /** Runs `fn` with index writes deferred, then applies them in rowid order (same transaction). */
  batch<T>(fn: () => T): T {
    this.deferred = []
    try {
      const result = fn()
      this.apply(this.deferred)
      return result
    } finally {
      this.deferred = null
    }
  }

  /** Where the deferred writes stand now: a savepoint opens (see `undo`). */
  mark(): number {
    return this.deferred?.length ?? 0
  }

  /** Forgets the writes deferred since `mark` (their savepoint was rolled back). */
  undo(mark: number): void {
    if (this.deferred) this.deferred.length = mark
  }

  private apply(ops: readonly Op[]): void {
    // Follow each row to where it ends: rowid now → text to write, or the rowid it came from.
    const inserts = new Map<number, SearchText>()
    const origins = new Map<number, number>()
    for (const op of ops) {
      if ('insert' in op) {
        inserts.set(op.insert, op.text)
      } else if (inserts.has(op.move)) {
        inserts.set(op.to, inserts.get(op.move) as SearchText)
        inserts.delete(op.move)
      } else {
        origins.set(op.to, origins.get(op.move) ?? op.move)
        origins.delete(op.move)
      }
    }
    const moved = [...origins].sort((a, b) => a[1] - b[1])
    for (const [to, from] of moved) {
      const text = this.read(from)
      this.x.stmt(DELETE).run(from)
      if (text) inserts.set(to, text)
    }
    for (const [seq, text] of [...inserts].sort((a, b) => a[0] - b[0])) this.write(seq, text)
  }

  private read(seq: number): SearchText | undefined {
    return this.x.stmt(READ).get(seq) as SearchText | undefined
  }

  private write(seq: number, t: SearchText): void {
    this.x.stmt(INSERT).run(seq, t.first_name, t.last_name, t.email, t.phone)
  }
}
