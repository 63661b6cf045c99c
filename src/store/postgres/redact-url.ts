/**
 * A PostgreSQL URL fit for logs and error messages: the password (and a `password` query
 * parameter) replaced by `***`, so `store.postgres.url` can be named in an error without leaking
 * the credential it holds. Text that does not parse as a URL is not echoed at all.
 */
export function redactUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return '(a URL that does not parse)'
  }
  if (u.password !== '') u.password = '***'
  for (const key of [...u.searchParams.keys()]) {
    if (/pass|secret|key/i.test(key)) u.searchParams.set(key, '***')
  }
  return u.toString()
}
