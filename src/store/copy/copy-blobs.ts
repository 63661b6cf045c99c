/**
 * Attachment bytes for `omnigate copy`: the SQLite data folder's `blobs/<sha256>` files become rows
 * of PostgreSQL's `blobs` table, in name order and in batches with the resume point, as tables
 * are. Each file is checked against its name (content addressing): a damaged file stops the copy
 * naming it rather than going over under a hash it does not have.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type pg from 'pg'
import { readProgress, writeProgress } from './copy-table.js'

const SHA256_RE = /^[0-9a-f]{64}$/
/** Bytes per batch: a few attachments per round trip without holding much in memory. */
const BATCH_BYTES = 8 * 1024 * 1024
const BATCH_FILES = 100
const PROGRESS_KEY = 'blobs'

/** The blob files of `dir` by name (none when the folder does not exist). */
export async function blobFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => SHA256_RE.test(n)).sort()
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return []
    throw error
  }
}

/** Copies the blob files not copied yet; resolves how many this run wrote. */
export async function copyBlobs(
  dir: string,
  dst: pg.ClientBase,
  onBatch?: (table: string, rows: number) => void,
): Promise<number> {
  const saved = await readProgress(dst, PROGRESS_KEY)
  const files = (await blobFiles(dir)).filter((f) => saved === null || f > saved)
  let written = 0
  let batch: { sha256: string; data: Buffer; at: string }[] = []
  let bytes = 0
  const flush = async (): Promise<void> => {
    const last = batch[batch.length - 1]
    if (!last) return
    await dst.query('BEGIN')
    try {
      for (const b of batch) {
        await dst.query(
          `INSERT INTO blobs (sha256, size, data, created_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT DO NOTHING`,
          [b.sha256, b.data.length, b.data, b.at],
        )
      }
      await writeProgress(dst, PROGRESS_KEY, last.sha256)
      await dst.query('COMMIT')
    } catch (error) {
      await dst.query('ROLLBACK').catch(() => undefined)
      throw error
    }
    written += batch.length
    onBatch?.('blobs', batch.length)
    batch = []
    bytes = 0
  }
  for (const name of files) {
    const file = join(dir, name)
    const data = await readFile(file)
    if (createHash('sha256').update(data).digest('hex') !== name) {
      throw new Error(`blob ${file} does not match its name (a damaged file); nothing of it copied`)
    }
    batch.push({ sha256: name, data, at: (await stat(file)).mtime.toISOString() })
    bytes += data.length
    if (bytes >= BATCH_BYTES || batch.length >= BATCH_FILES) await flush()
  }
  await flush()
  return written
}
