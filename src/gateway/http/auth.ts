/**
 * Bearer-key authentication and the API's own rate limit. Keys are kept only as sha256 hashes and
 * compared in constant time against every configured key (no early exit), so timing tells nothing
 * about which key is close.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import type { Role } from '../config/types.js'
import { apiError } from '../errors.js'
import type { Services } from '../services.js'
import type { Caller } from './route.js'

export function authenticate(svc: Services, c: Context, roles: readonly Role[]): Caller {
  const header = c.req.header('authorization') ?? ''
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!m?.[1]) {
    throw apiError('unauthorized', 'missing API key: send `Authorization: Bearer <key>`')
  }
  const caller = findKey(svc, m[1])
  if (!caller) throw apiError('unauthorized', 'unknown API key')
  if (!roles.includes(caller.role)) {
    throw apiError(
      'forbidden',
      `this route needs the role ${roles.join(' or ')}; key ${caller.id} is ${caller.role}`,
    )
  }
  const wait = svc.apiLimiter.take(caller.id)
  if (wait > 0) {
    const seconds = Math.max(1, Math.ceil(wait / 1000))
    throw apiError(
      'rate_limited',
      `too many requests for key ${caller.id}; retry in ${seconds} s`,
      { retry_after_s: seconds },
      {
        'retry-after': String(seconds),
      },
    )
  }
  // DESIGN §14 `no_agent_online`: an agent key's call counts the agent online for a while.
  if (caller.role === 'agent') svc.presence?.apiCall(caller.id)
  return caller
}

function findKey(svc: Services, presented: string): Caller | null {
  const hash = createHash('sha256').update(presented).digest()
  let found: Caller | null = null
  for (const k of svc.config().auth.keys) {
    if (timingSafeEqual(hash, k.sha256) && found === null) found = { id: k.id, role: k.role }
  }
  return found
}
