/**
 * The daemon id (DESIGN §10): what `GET /v1/channels` and `/metrics` name as a channel's owner and
 * the scheduler's leader, and the `application_name` of the lock connection PostgreSQL reports it
 * by. `<hostname>-<pid>` by default, unique among daemons on one database as long as host names
 * are; `OMNIGATE_DAEMON_ID` overrides it (a container's host name and pid may repeat across
 * restarts, or an operator wants stable names like `gw-a`).
 */
import { hostname } from 'node:os'

/** PostgreSQL keeps 63 bytes of `application_name` (NAMEDATALEN - 1) and cuts the rest. */
const MAX_ID_BYTES = 63
/** `application_name` keeps printable ASCII only (others become `?`): the id must read back as is. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/

/** A daemon id that cannot be used, with a sentence naming the variable. */
class DaemonIdError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DaemonIdError'
  }
}

/** `OMNIGATE_DAEMON_ID` when set, else `<hostname>-<pid>` (cut to what PostgreSQL keeps). */
export function daemonId(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.OMNIGATE_DAEMON_ID
  if (given !== undefined && given !== '') {
    if (!PRINTABLE_ASCII.test(given) || Buffer.byteLength(given) > MAX_ID_BYTES) {
      throw new DaemonIdError(
        `OMNIGATE_DAEMON_ID: must be 1 to ${MAX_ID_BYTES} printable ASCII characters ` +
          '(PostgreSQL shows it as application_name, which keeps no more)',
      )
    }
    return given
  }
  const suffix = `-${process.pid}`
  const host = hostname().replace(/[^\x20-\x7e]/g, '?') || 'omnigate'
  return host.slice(0, MAX_ID_BYTES - suffix.length) + suffix
}
