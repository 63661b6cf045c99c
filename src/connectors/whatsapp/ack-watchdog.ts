/**
 * Ack watchdog (pure): which messages WhatsApp accepted (`sent`) but never acknowledged as delivered
 * to the phone. That is how a quietly restricted account looks from the outside, so those messages
 * get flagged for a person to look at; they are never resent, which would deepen a ban.
 */

/**
 * One hour: a phone that is online acknowledges within seconds, one that is off or out of coverage
 * for a while is normal; an hour flags real trouble without flagging every night-time send.
 */
export const DEFAULT_UNDELIVERED_AFTER_MS = 60 * 60 * 1000

export interface SentMessage {
  messageId: string
  /** When `send()` returned (ISO-8601). */
  sentAt: string
}

/** True when a message sent at `sentAt` has waited `afterMs` or longer at `now` without a delivery ack. */
export function isUndelivered(sentAt: string, now: Date, afterMs: number): boolean {
  const sent = Date.parse(sentAt)
  return Number.isFinite(sent) && now.getTime() - sent >= afterMs
}

/**
 * The messages of `sent` (still `sent`: no delivered/read/failed ack) that have waited `afterMs`
 * or longer at `now`, oldest first.
 */
export function findUndelivered<T extends SentMessage>(
  sent: readonly T[],
  now: Date,
  afterMs: number,
): T[] {
  return sent
    .filter((m) => isUndelivered(m.sentAt, now, afterMs))
    .sort((a, b) => Date.parse(a.sentAt) - Date.parse(b.sentAt))
}
