/**
 * Attachment bytes in the `blobs` table (DESIGN §10), content-addressed by sha256, so every
 * daemon serves every attachment. A put is durable when it resolves (its commit); storing the
 * same bytes twice is one row (`ON CONFLICT DO NOTHING`).
 */
import { createHash } from 'node:crypto'
import type { Store } from '../types.js'
import type { Sql } from './exec.js'

const SHA256_RE = /^[0-9a-f]{64}$/
const PUT = `INSERT INTO blobs (sha256, size, data, created_at) VALUES ($1, $2, $3, $4)
  ON CONFLICT (sha256) DO NOTHING`
const READ = `SELECT data FROM blobs WHERE sha256 = $1`

export function blobTable(sql: Sql, now: () => Date = () => new Date()): Store['blobs'] {
  return {
    async put(data) {
      const sha256 = createHash('sha256').update(data).digest('hex')
      await sql.run(PUT, [sha256, data.length, data, now().toISOString()])
      return { sha256, size: data.length }
    },
    async read(sha256) {
      if (!SHA256_RE.test(sha256)) throw new Error('not a sha256 hex digest')
      const row = await sql.one<{ data: Buffer }>(READ, [sha256])
      // As the file store's missing file reads: ENOENT.
      if (!row) throw Object.assign(new Error(`blob ${sha256} not found`), { code: 'ENOENT' })
      return row.data
    },
    // No file: a name that says where it is, for logs.
    path(sha256) {
      if (!SHA256_RE.test(sha256)) throw new Error('not a sha256 hex digest')
      return `postgres:blobs/${sha256}`
    },
  }
}
