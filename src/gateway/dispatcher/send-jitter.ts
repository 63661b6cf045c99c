/**
 * A random pause on top of the rate slot for channels where regular, machine-like spacing is itself
 * a ban signal (WhatsApp Web: an unofficial client on a person's number). The pause is added to the
 * slot before it is reserved, so the next slot starts a full interval after the jittered one: sends
 * are spread out at random and never come closer than the configured rate allows. Which channels
 * get it is the connector's `sendJitter` capability.
 */

/**
 * Up to half an interval: at the default 0.5/s that is a pause of 0–1 s on top of the 2 s spacing,
 * enough to break a metronome pattern while a queue still drains at ≥ 80 % of the configured rate.
 */
const JITTER_FRACTION = 0.5

/**
 * The extra delay (ms) before a send on a channel paced at `intervalMs`: 0 unless its connector
 * declares `sendJitter` (`jittered`).
 */
export function sendJitterMs(
  jittered: boolean,
  intervalMs: number,
  random: () => number = Math.random,
): number {
  if (!jittered || !Number.isFinite(intervalMs)) return 0
  return Math.max(0, intervalMs) * JITTER_FRACTION * random()
}
