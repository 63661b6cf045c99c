/**
 * The store as a person reads it in `check-config` and the start summary: the SQLite file, or the
 * PostgreSQL URL with its password masked (the URL is a credential) and the pool size.
 */
import { redactUrl } from '../../store/postgres/redact-url.js'
import type { ResolvedConfig } from './types.js'

export function storeLabel(store: ResolvedConfig['store']): string {
  if (store.postgres)
    return `PostgreSQL ${redactUrl(store.postgres.url)} (pool ${store.postgres.pool})`
  return `SQLite file ${store.sqlite}`
}
