/**
 * Opening the PostgreSQL store at start (DESIGN §10, issue 13 "bad input"): the pool is created
 * and one connection is tried at once, so a wrong or unreachable `store.postgres.url` stops the
 * daemon with a sentence naming the key and the URL with its password masked, instead of failing
 * the first request minutes later. The server's own wording is kept (it names the user or the
 * database, never the password); the password is scrubbed from it all the same.
 */
import type pg from 'pg'
import { openPool, type PoolOptions } from './pool.js'
import { redactUrl } from './redact-url.js'

/**
 * The store cannot be opened with this URL: a config or infrastructure problem, not a bug.
 */
export class PostgresConnectError extends Error {
  constructor(
    message: string,
    /** The driver's or server's code (`ECONNREFUSED`, `28P01` …), for logs. */
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(message, { cause })
    this.name = 'PostgresConnectError'
  }
}

/** What each common failure means to the person who wrote the URL. */
const REASONS: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there (is PostgreSQL running, on that host and port?)',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve (DNS did not answer)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  '28P01': 'the password was refused',
  '28000': 'the server refused this user or client',
  '3D000': 'the database does not exist',
  '57P03': 'the server is starting up or shutting down',
}

/** Opens the pool and proves it can connect; throws PostgresConnectError otherwise. */
export async function connectPostgres(o: PoolOptions): Promise<pg.Pool> {
  const pool = openPool(o)
  try {
    const client = await pool.connect()
    client.release()
    return pool
  } catch (error) {
    await pool.end().catch(() => undefined)
    throw connectError(o.url, error)
  }
}

/** The error for a failed first connection to `url`, its password nowhere in it. */
function connectError(url: string, error: unknown): PostgresConnectError {
  const code = (error as { code?: unknown }).code
  const key = typeof code === 'string' ? code : undefined
  const detail = error instanceof Error ? error.message : String(error)
  const reason = (key && REASONS[key]) ?? scrub(detail, url)
  return new PostgresConnectError(
    `store.postgres.url: cannot connect to ${redactUrl(url)}: ${reason}`,
    key,
    error,
  )
}

function scrub(text: string, url: string): string {
  let password = ''
  try {
    password = decodeURIComponent(new URL(url).password)
  } catch {
    // an unparsable URL has no password we could find
  }
  const cleaned = password === '' ? text : text.split(password).join('***')
  return cleaned.split(url).join(redactUrl(url)) || 'unknown error'
}
