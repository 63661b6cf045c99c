/**
 * The few better-sqlite3 calls the store makes (kysely style: depend on a narrow interface, not on
 * the SDK's type). A better-sqlite3 `Database` satisfies it structurally.
 */

/** Result of a write: rows changed and the rowid of the last insert. */
export interface SqliteRunResult {
  changes: number
  lastInsertRowid: number | bigint
}

/** A prepared statement; parameters are positional values. */
export interface SqliteStatement {
  run(...params: unknown[]): SqliteRunResult
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
}

/** A synchronous SQLite connection; `transaction()` inside another nests as a savepoint. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement
  exec(sql: string): unknown
  pragma(source: string, options?: { simple?: boolean }): unknown
  transaction<T>(fn: () => T): () => T
  backup(destinationFile: string): Promise<unknown>
  close(): unknown
  readonly inTransaction: boolean
  readonly open: boolean
  /** The file's path as opened. */
  readonly name: string
  readonly memory: boolean
  readonly readonly: boolean
}
