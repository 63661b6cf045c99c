/**
 * A seedable PRNG (mulberry32) for the harnesses' random choices (kill moments, answer delays):
 * a failing run prints its seed, and the same seed replays the same choices.
 */
export function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
