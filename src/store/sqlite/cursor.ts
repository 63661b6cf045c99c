/**
 * Opaque pagination cursors: base64url of a small JSON value. A cursor that does not decode yields
 * null, and the caller answers with an empty page rather than throwing (a client-side problem).
 */

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** The decoded value when it passes `check`, else null. */
export function decodeCursor<T>(cursor: string, check: (v: unknown) => v is T): T | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    return check(v) ? v : null
  } catch {
    return null
  }
}

function isSeq(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v)
}

/** Decodes a rowid cursor; undefined when there is none, null when it is invalid. */
export function seqCursor(cursor: string | undefined): number | undefined | null {
  return cursor === undefined || cursor === '' ? undefined : decodeCursor(cursor, isSeq)
}
