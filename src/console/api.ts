/**
 * The console's one way to the API: the key is kept in `sessionStorage` (gone with the tab, never
 * in a URL or `localStorage`) and sent as a bearer header; a refusal becomes an `ApiFailure` with
 * the API's own code and message, for a `role=alert`.
 */
const KEY = 'omnigate.console.key'

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY)
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY, key)
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY)
}

class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Calls `path` with the stored key; resolves to the JSON answer or throws an `ApiFailure`. */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  opts: { key?: string; headers?: Record<string, string> } = {},
): Promise<T> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${opts.key ?? storedKey() ?? ''}`,
    ...opts.headers,
  }
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
  } catch {
    throw new ApiFailure(0, 'network', 'The gateway cannot be reached; check the connection.')
  }
  const text = await res.text()
  let json: unknown = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = null
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error
    throw new ApiFailure(
      res.status,
      err?.code ?? `http_${res.status}`,
      err?.message ?? `HTTP ${res.status}`,
    )
  }
  return json as T
}

/** A query string of the non-empty values. */
export function query(values: Record<string, string | null | undefined>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(values)) if (v) p.set(k, v)
  const s = p.toString()
  return s ? `?${s}` : ''
}

/** The message of anything thrown, for an alert. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
