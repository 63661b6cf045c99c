/**
 * WhatsApp Web's pacing cap (`max_unreplied_per_day`): first messages per day to people who have
 * never answered. A day is a UTC day, the same for every daemon whatever its time zone.
 */
import { refusal, type Refusal } from './refusal.js'
import type { ChannelInfo, IdentityFacts } from './types.js'

/** Midnight UTC of `now`'s day (ISO): where today's count of unreplied first messages starts. */
export function startOfDay(now: Date): string {
  const d = new Date(now)
  d.setUTCHours(0, 0, 0, 0)
  return d.toISOString()
}

/** True when a send to this identity counts against the channel's daily cap: it never wrote. */
export function countsAsUnreplied(channel: ChannelInfo, identity: IdentityFacts | null): boolean {
  return (
    channel.rules.max_unreplied_per_day !== null && (identity?.first_inbound_at ?? null) === null
  )
}

/** `unreplied_cap` once `sentToday` first messages to strangers reached the cap, else null. */
export function checkUnrepliedCap(
  channel: ChannelInfo,
  identity: IdentityFacts | null,
  sentToday: number,
): Refusal | null {
  const cap = channel.rules.max_unreplied_per_day
  if (cap === null || !countsAsUnreplied(channel, identity) || sentToday < cap) return null
  return refusal(
    'unreplied_cap',
    `Channel "${channel.name}" already sent today's ${cap} first messages to people who have ` +
      'not answered: try again tomorrow, or wait for this contact to write.',
    `channels.${channel.name}.rules.max_unreplied_per_day`,
    { cap, sent: sentToday },
  )
}
