/**
 * Comparing a documented JSON example with a real one. A documented string with "…" stands for any
 * string that starts with what comes before the "…" (`"msg_01j…"`, `"…"`).
 */

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

export const sortedKeys = (v: unknown): string[] => (isObject(v) ? Object.keys(v).sort() : [])

function keyDiff(
  doc: Record<string, unknown>,
  real: Record<string, unknown>,
  at: string,
): string[] {
  const out: string[] = []
  for (const k of Object.keys(real)) if (!(k in doc)) out.push(`${at}.${k}: real, not documented`)
  for (const k of Object.keys(doc)) if (!(k in real)) out.push(`${at}.${k}: documented, not real`)
  return out
}

/** Where `real` differs from the documented value: same keys everywhere, same values but "…". */
export function matchesDocumented(doc: unknown, real: unknown, at = '$'): string[] {
  if (typeof doc === 'string' && doc.includes('…')) {
    const prefix = doc.slice(0, doc.indexOf('…'))
    return typeof real === 'string' && real.startsWith(prefix)
      ? []
      : [`${at}: ${JSON.stringify(real)} does not start with ${JSON.stringify(prefix)}`]
  }
  if (Array.isArray(doc)) {
    if (!Array.isArray(real) || real.length !== doc.length)
      return [`${at}: ${JSON.stringify(real)}, documented ${doc.length} item(s)`]
    return doc.flatMap((d, i) => matchesDocumented(d, real[i], `${at}[${i}]`))
  }
  if (isObject(doc)) {
    if (!isObject(real)) return [`${at}: ${JSON.stringify(real)} is not an object`]
    const diff = keyDiff(doc, real, at)
    return diff.length > 0
      ? diff
      : Object.keys(doc).flatMap((k) => matchesDocumented(doc[k], real[k], `${at}.${k}`))
  }
  return JSON.stringify(doc) === JSON.stringify(real)
    ? []
    : [`${at}: is ${JSON.stringify(real)}, documented ${JSON.stringify(doc)}`]
}

/** Where the keys differ, at every depth (a list: its first items); values are not compared. */
export function keyShapeMismatches(doc: unknown, real: unknown, at = '$'): string[] {
  if (Array.isArray(doc) && Array.isArray(real) && doc.length > 0 && real.length > 0)
    return keyShapeMismatches(doc[0], real[0], `${at}[0]`)
  if (!isObject(doc) || !isObject(real)) return []
  const diff = keyDiff(doc, real, at)
  return diff.length > 0
    ? diff
    : Object.keys(doc).flatMap((k) => keyShapeMismatches(doc[k], real[k], `${at}.${k}`))
}
