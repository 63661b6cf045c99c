/**
 * Which unique constraint a failed insert or update hit. better-sqlite3 throws SqliteError with
 * code SQLITE_CONSTRAINT_UNIQUE (or _PRIMARYKEY) and the message `UNIQUE constraint failed:
 * <table>.<column>, …`, naming the columns of the index that refused the row.
 */

/** The `table.column, …` list of the violated unique constraint, or null for any other error. */
export function uniqueViolation(err: unknown): string | null {
  if (!(err instanceof Error)) return null
  const code = (err as { code?: unknown }).code
  if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return null
  const m = /UNIQUE constraint failed: (.+)$/.exec(err.message)
  return m?.[1] ?? ''
}
