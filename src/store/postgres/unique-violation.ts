/**
 * Which unique constraint a failed statement hit: `pg` raises the server's error with SQLSTATE
 * `23505` (unique_violation) in `.code` and the index or constraint name in `.constraint`.
 */

/** The violated constraint's name, or null for any other error. */
export function uniqueViolation(err: unknown): string | null {
  if (!(err instanceof Error)) return null
  const e = err as { code?: unknown; constraint?: unknown }
  if (e.code !== '23505') return null
  return typeof e.constraint === 'string' ? e.constraint : ''
}
