/**
 * One table of `omnigate copy`: read from SQLite in key order after the last copied key, written
 * to PostgreSQL in batches, each batch in one transaction with the new resume point (in the
 * target's `kv`), so a copy stopped anywhere resumes exactly after its last commit. Inserts skip
 * rows already there (`ON CONFLICT DO NOTHING`), so even a lost resume point only costs time.
 */
import type pg from 'pg'
import type { SqliteDatabase } from '../sqlite/sqlite-database.js'
import type { CopyTable } from './tables.js'

/** The scope of the copy's own records in the target's kv (never a source's scope). */
const PROGRESS_SCOPE = 'omnigate-copy'

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`

const UPSERT_PROGRESS = `INSERT INTO kv (scope, key, value) VALUES ($1, $2, $3)
  ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value`

export async function readProgress(c: pg.ClientBase, key: string): Promise<string | null> {
  const r = await c.query<{ value: string }>('SELECT value FROM kv WHERE scope = $1 AND key = $2', [
    PROGRESS_SCOPE,
    key,
  ])
  return r.rows[0]?.value ?? null
}

export async function writeProgress(c: pg.ClientBase, key: string, value: string): Promise<void> {
  await c.query(UPSERT_PROGRESS, [PROGRESS_SCOPE, key, value])
}

/** The batch's rows, as read from SQLite with their key values apart (`__k0` …). */
function readBatch(
  src: SqliteDatabase,
  t: CopyTable,
  after: unknown[] | null,
  limit: number,
): Record<string, unknown>[] {
  const cols = t.columns.map((c) => `${t.from?.[c] ?? q(c)} AS ${q(c)}`)
  const keys = t.key.map((k, i) => `${k} AS __k${i}`)
  const tuple = `(${t.key.join(', ')})`
  const where = after ? `WHERE ${tuple} > (${t.key.map(() => '?').join(', ')})` : ''
  const text = `SELECT ${[...cols, ...keys].join(', ')} FROM ${q(t.name)} ${where}
    ORDER BY ${t.key.join(', ')} LIMIT ?`
  return src.prepare(text).all(...(after ?? []), limit) as Record<string, unknown>[]
}

/** The INSERT of `rows` rows of `t`, and its parameters. */
function insertOf(
  t: CopyTable,
  rows: Record<string, unknown>[],
): { text: string; params: unknown[] } {
  const computed = Object.entries(t.computed ?? {})
  const names = [...t.columns, ...computed.map(([n]) => n)]
  const booleans = new Set(t.booleans ?? [])
  const params: unknown[] = []
  const tuples = rows.map((r) => {
    const values = t.columns.map((c) =>
      booleans.has(c) ? (r[c] === null ? null : r[c] !== 0) : r[c],
    )
    values.push(...computed.map(([, f]) => f(r)))
    const at = params.length
    params.push(...values)
    return `(${values.map((_, i) => `$${at + i + 1}`).join(', ')})`
  })
  const overriding = t.identity ? ' OVERRIDING SYSTEM VALUE' : ''
  const keyCols = t.key.map((k) => (k === 'rowid' ? (t.identity ?? k) : k))
  const conflict =
    t.onConflict === 'replace'
      ? `ON CONFLICT (${keyCols.map(q).join(', ')}) DO UPDATE SET ${t.columns
          .filter((c) => !keyCols.includes(c))
          .map((c) => `${q(c)} = excluded.${q(c)}`)
          .join(', ')}`
      : 'ON CONFLICT DO NOTHING'
  return {
    text: `INSERT INTO ${q(t.name)} (${names.map(q).join(', ')})${overriding}
      VALUES ${tuples.join(', ')} ${conflict}`,
    params,
  }
}

/**
 * Copies what is left of `t`; resolves how many rows this run wrote. `onBatch` runs after each
 * committed batch (a test seam: throwing there plays a crash between two batches).
 */
export async function copyTable(
  src: SqliteDatabase,
  dst: pg.ClientBase,
  t: CopyTable,
  batchSize: number,
  onBatch?: (table: string, rows: number) => void,
): Promise<number> {
  const progressKey = `table:${t.name}`
  const saved = await readProgress(dst, progressKey)
  let after = saved === null ? null : (JSON.parse(saved) as unknown[] | 'done')
  if (after === 'done') {
    // Again: a run may have stopped between the last batch and this.
    await moveSequences(dst, t)
    return 0
  }
  let written = 0
  for (;;) {
    const rows = readBatch(src, t, after, batchSize)
    const last = rows[rows.length - 1]
    const next = last ? t.key.map((_, i) => last[`__k${i}`]) : null
    await dst.query('BEGIN')
    try {
      if (rows.length > 0) {
        const { text, params } = insertOf(t, rows)
        try {
          await dst.query(text, params)
        } catch (error) {
          throw new Error(
            `${t.name}: the rows after key ${JSON.stringify(after)} cannot be written: ${(error as Error).message}`,
            { cause: error },
          )
        }
      }
      await writeProgress(dst, progressKey, JSON.stringify(next ?? 'done'))
      await dst.query('COMMIT')
    } catch (error) {
      await dst.query('ROLLBACK').catch(() => undefined)
      throw error
    }
    if (!next) break
    written += rows.length
    after = next
    onBatch?.(t.name, rows.length)
  }
  await moveSequences(dst, t)
  return written
}

/** Sequences PostgreSQL draws new numbers from go past the copied ones. */
async function moveSequences(dst: pg.ClientBase, t: CopyTable): Promise<void> {
  const seq = t.identity
    ? { name: `pg_get_serial_sequence('${q(t.name)}', '${t.identity}')`, column: t.identity }
    : t.sequence
      ? { name: `'${t.sequence.name}'`, column: t.sequence.column }
      : null
  if (!seq) return
  await dst.query(
    `SELECT setval(${seq.name}, (SELECT coalesce(max(${q(seq.column)}), 0) + 1 FROM ${q(t.name)}), false)`,
  )
}

/** Rows of `t` on each side (the target's kv without the copy's own records). */
export async function countRows(
  src: SqliteDatabase,
  dst: pg.ClientBase,
  t: CopyTable,
): Promise<{ source: number; target: number }> {
  const s = src.prepare(`SELECT count(*) AS n FROM ${q(t.name)}`).get() as { n: number }
  const own = t.name === 'kv' ? ` WHERE scope <> '${PROGRESS_SCOPE}'` : ''
  const d = await dst.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(t.name)}${own}`)
  return { source: s.n, target: Number(d.rows[0]?.n ?? 0) }
}
