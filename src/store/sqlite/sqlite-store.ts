/**
 * Assembles the SQLite Store from its repositories over one connection and one statement cache.
 */
import type { Logger } from 'pino'
import type { Store } from '../types.js'
import { applyAcceptPlan, type AcceptDeps } from './accept-plan.js'
import { AttachmentRepo } from './attachment-repo.js'
import { BlobStore } from './blob-store.js'
import { BulkRepo } from './bulk-repo.js'
import { ContactRepo } from './contact-repo.js'
import { ContactWriter } from './contact-writer.js'
import { EventQueue } from './event-queue.js'
import { Executor } from './executor.js'
import { GroupCommit } from './group-commit.js'
import { IdempotencyRepo } from './idempotency-repo.js'
import { IdentityRepo } from './identity-repo.js'
import { Inbound } from './inbound.js'
import { KvRepo } from './kv-repo.js'
import { MessageRepo } from './message-repo.js'
import { MessageWriter } from './message-writer.js'
import { OutboxRepo } from './outbox-repo.js'
import { SearchIndex } from './search-index.js'
import type { SqliteDatabase } from './sqlite-database.js'
import { ThreadRepo } from './thread-repo.js'
import { ThreadWriter } from './thread-writer.js'
import { WebhookRepo } from './webhook-repo.js'

export function createSqliteStore(
  db: SqliteDatabase,
  opts: { blobsDir: string; log?: Logger },
): Store {
  const x = new Executor(db)
  const queue = new EventQueue(x)
  const identities = new IdentityRepo(x)
  const index = new SearchIndex(x)
  const deps: AcceptDeps = {
    x,
    contacts: new ContactWriter(x, index),
    identities,
    threads: new ThreadWriter(x),
    messages: new MessageWriter(x),
    queue,
  }
  const attachments = new AttachmentRepo(x)
  const group = new GroupCommit(x, (plan) => applyAcceptPlan(deps, plan), index, opts.log)

  return {
    contacts: new ContactRepo(x, deps.contacts, identities),
    identities,
    threads: new ThreadRepo(x, deps.threads, queue),
    messages: new MessageRepo(x, attachments, queue),
    accept: (plan) => group.submit(plan),
    idempotency: new IdempotencyRepo(x),
    inbound: new Inbound(deps),
    outbox: new OutboxRepo(x, queue),
    bulk: new BulkRepo(deps, index),
    webhooks: new WebhookRepo(x),
    kv: new KvRepo(x),
    attachments,
    blobs: new BlobStore(opts.blobsDir),
    async backup(file: string): Promise<void> {
      group.flush()
      await db.backup(file)
    },
    batch<T>(fn: () => T): T {
      return x.tx(fn)
    },
    integrityCheck(): string {
      const rows = db.pragma('integrity_check') as { integrity_check: string }[]
      return rows.map((r) => r.integrity_check).join('\n')
    },
    close(): void {
      if (!db.open) return
      group.close()
      db.close()
    },
  }
}
