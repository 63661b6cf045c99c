/**
 * Attachment bytes as content-addressed files `blobs/<sha256>` (never in SQLite rows). A put is
 * durable when it resolves: temp file fsync'd, renamed into place, directory fsync'd.
 */
import { createHash, randomBytes } from 'node:crypto'
import { open, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Store } from '../types.js'

type BlobsApi = Store['blobs']

const SHA256_RE = /^[0-9a-f]{64}$/

export class BlobStore implements BlobsApi {
  constructor(private readonly dir: string) {}

  async put(data: Buffer): Promise<{ sha256: string; size: number }> {
    const sha256 = createHash('sha256').update(data).digest('hex')
    const target = this.path(sha256)
    if (await exists(target)) return { sha256, size: data.length }
    const tmp = join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`)
    try {
      const fh = await open(tmp, 'wx')
      try {
        await fh.writeFile(data)
        await fh.sync()
      } finally {
        await fh.close()
      }
      await rename(tmp, target)
    } catch (error) {
      await rm(tmp, { force: true })
      throw error
    }
    await syncDir(this.dir)
    return { sha256, size: data.length }
  }

  read(sha256: string): Promise<Buffer> {
    return readFile(this.path(sha256))
  }

  /** Deletes a blob's file (erasure: no attachment references it any more); absent is fine. */
  async remove(sha256: string): Promise<void> {
    await rm(this.path(sha256), { force: true })
  }

  /** The file of a blob; throws on anything but a lowercase hex sha256 (no path tricks). */
  path(sha256: string): string {
    if (!SHA256_RE.test(sha256)) throw new Error('not a sha256 hex digest')
    return join(this.dir, sha256)
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file)
    return true
  } catch {
    return false
  }
}

// The rename is durable only once the directory entry is on disk.
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
