/**
 * Small durable settings and cursors by scope (an IMAP UID, a generated VAPID key id …).
 */
import { qb, type Executor } from './executor.js'

export class KvRepo {
  constructor(private readonly x: Executor) {}

  get(scope: string, key: string): string | null {
    const row = this.x.get<{ value: string }>(
      qb.selectFrom('kv').select('value').where('scope', '=', scope).where('key', '=', key),
    )
    return row?.value ?? null
  }

  set(scope: string, key: string, value: string): void {
    this.x.run(
      qb
        .insertInto('kv')
        .values({ scope, key, value })
        .onConflict((oc) => oc.columns(['scope', 'key']).doUpdateSet({ value })),
    )
  }
}
