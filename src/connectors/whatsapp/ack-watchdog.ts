/**
 * The connector's half of the ack watchdog: how long a message may stay `sent` without a delivery
 * ack. WhatsApp accepting a message (`sent`) but never delivering it to the phone is how a quietly
 * restricted account looks from the outside. The gateway's watchdog (`src/gateway/watchdog.ts`)
 * reads the connector's `ackWatch` capability and flags such messages; they are never resent,
 * which would deepen a ban.
 */

/**
 * One hour: a phone that is online acknowledges within seconds, one that is off or out of coverage
 * for a while is normal; an hour flags real trouble without flagging every night-time send.
 */
export const DEFAULT_UNDELIVERED_AFTER_MS = 60 * 60 * 1000
