/**
 * ULIDs with their randomness drawn from a pooled buffer. The `ulid` package asks its PRNG once
 * per character, and its default PRNG is one `crypto.getRandomValues` call each: sixteen calls
 * into the crypto binding per id, ≈ 4 % of the daemon's CPU per web chat message in P8's profile.
 * Here a 4 KiB buffer is filled from the same CSPRNG (`randomFillSync`) and read two bytes at a
 * time, so a refill serves ≈ 128 ids.
 */
import { randomFillSync } from 'node:crypto'
import { monotonicFactory, type ULIDFactory } from 'ulid'

const POOL_BYTES = 4096
const pool = Buffer.allocUnsafe(POOL_BYTES)
let offset = POOL_BYTES

/** A uniform float in [0, 1) from 16 random bits: `ulid` maps it onto its 32 characters. */
function pooledRandom(): number {
  if (offset + 2 > POOL_BYTES) {
    randomFillSync(pool)
    offset = 0
  }
  const v = pool.readUInt16BE(offset)
  offset += 2
  return v / 0x10000
}

/** A monotonic ULID factory (ids of one millisecond still sort in creation order). */
export function ulidFactory(): ULIDFactory {
  return monotonicFactory(pooledRandom)
}
