/**
 * `/hooks/whatsapp-cloud/<name>`: the `GET` verification handshake Meta makes when the callback
 * URL is saved, and `POST` deliveries signed with `X-Hub-Signature-256` (HMAC-SHA256 of the raw
 * body with the app secret).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/** `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` → the challenge, or 403. */
export function answerHandshake(req: Request, verifyToken: string): Response {
  const q = new URL(req.url).searchParams
  const challenge = q.get('hub.challenge')
  if (
    q.get('hub.mode') !== 'subscribe' ||
    challenge === null ||
    !sameText(q.get('hub.verify_token') ?? '', verifyToken)
  ) {
    return new Response('forbidden', { status: 403 })
  }
  return new Response(challenge, { status: 200, headers: { 'content-type': 'text/plain' } })
}

/** Whether `header` is `sha256=<hex HMAC-SHA256(appSecret, body)>`, compared in constant time. */
export function validSignature(body: Buffer, header: string | null, appSecret: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header ?? '')
  if (!match) return false
  const expected = createHmac('sha256', appSecret).update(body).digest()
  return timingSafeEqual(expected, Buffer.from(match[1]!, 'hex'))
}

/** Constant-time comparison that does not leak the length either. */
function sameText(a: string, b: string): boolean {
  return timingSafeEqual(
    createHash('sha256').update(a).digest(),
    createHash('sha256').update(b).digest(),
  )
}
