/**
 * VAPID keys (RFC 8292): the P-256 key pair that signs every push, whose public half the site passes
 * to `pushManager.subscribe()` as `applicationServerKey`. A subscription is bound to that key, so
 * the pair must never change behind the sites' backs: when it is not in the config it is generated
 * once into the data folder and reused, and a damaged file is reported, never silently replaced.
 */
import { createECDH } from 'node:crypto'
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Both halves, unpadded base64url as browsers and web-push use them. */
export interface VapidKeys {
  /** 65-byte uncompressed P-256 point. */
  publicKey: string
  /** 32-byte private scalar. */
  privateKey: string
}

const BASE64URL = /^[A-Za-z0-9_-]+$/

/**
 * A fresh key pair (for `omnigate keys vapid` and the first start without configured keys): what
 * web-push's `generateVAPIDKeys()` makes, without loading web-push at start (it comes with the
 * first push: DESIGN §8 P5). The private scalar loses its leading zero bytes in `getPrivateKey()`,
 * so it is padded back to 32; the public point is always 65 bytes, uncompressed.
 * @internal exported for tests
 */
export function generateVapidKeys(): VapidKeys {
  const ecdh = createECDH('prime256v1')
  const publicKey = ecdh.generateKeys()
  const scalar = ecdh.getPrivateKey()
  return {
    publicKey: publicKey.toString('base64url'),
    privateKey: Buffer.concat([Buffer.alloc(32 - scalar.length), scalar]).toString('base64url'),
  }
}

/**
 * Why `keys` cannot sign pushes, naming the config key (`vapid.public_key` / `vapid.private_key`),
 * or null when they are a valid, matching pair.
 */
export function checkVapidKeys(keys: VapidKeys): string | null {
  const pub = BASE64URL.test(keys.publicKey) ? Buffer.from(keys.publicKey, 'base64url') : null
  const priv = BASE64URL.test(keys.privateKey) ? Buffer.from(keys.privateKey, 'base64url') : null
  if (pub === null || pub.length !== 65 || pub[0] !== 0x04) {
    return 'vapid.public_key must be an unpadded base64url P-256 public key (65 bytes; `omnigate keys vapid` makes a pair)'
  }
  if (priv === null || priv.length !== 32) {
    return 'vapid.private_key must be an unpadded base64url P-256 private key (32 bytes; `omnigate keys vapid` makes a pair)'
  }
  try {
    const ecdh = createECDH('prime256v1')
    ecdh.setPrivateKey(priv)
    if (!ecdh.getPublicKey().equals(pub))
      return 'vapid.public_key does not belong to vapid.private_key'
  } catch {
    return 'vapid.private_key is not a valid P-256 private key'
  }
  return null
}

/** The file a channel's generated pair lives in. @internal exported for tests */
export function vapidFile(dataDir: string, channel: string): string {
  return join(dataDir, `vapid-${channel.replace(/[^A-Za-z0-9._-]/g, '_')}.json`)
}

class VapidFileError extends Error {
  override name = 'VapidFileError'
}

function readPair(file: string): VapidKeys {
  let parsed: { public_key?: unknown; private_key?: unknown }
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed
  } catch {
    // Not the parser's message: V8 quotes the text around the error, which here is a private key.
    throw new VapidFileError(
      `${file} is not readable JSON; restore it from a backup: a new key pair would invalidate every subscription`,
    )
  }
  const keys = {
    publicKey: typeof parsed.public_key === 'string' ? parsed.public_key : '',
    privateKey: typeof parsed.private_key === 'string' ? parsed.private_key : '',
  }
  const problem = checkVapidKeys(keys)
  if (problem !== null) {
    throw new VapidFileError(
      `${file}: ${problem.replace(/vapid\./g, '')}; restore it from a backup: a new key pair would invalidate every subscription`,
    )
  }
  return keys
}

/**
 * The pair in `<dataDir>/vapid-<channel>.json`, generated (mode 0600) when the file does not exist.
 * Created through a temp file and a hard link, so a crash never leaves half a file and two daemons
 * starting at once end up with the same pair. Throws `VapidFileError` for a damaged file.
 */
export function loadOrCreateVapidKeys(
  dataDir: string,
  channel: string,
): { keys: VapidKeys; created: boolean } {
  const file = vapidFile(dataDir, channel)
  if (existsSync(file)) return { keys: readPair(file), created: false }
  mkdirSync(dataDir, { recursive: true })
  const keys = generateVapidKeys()
  const stored = {
    public_key: keys.publicKey,
    private_key: keys.privateKey,
    created_at: new Date().toISOString(),
  }
  const body = `${JSON.stringify(stored, null, 2)}\n`
  const tmp = `${file}.${process.pid}.tmp`
  rmSync(tmp, { force: true }) // a leftover of a crash would keep its old mode
  writeFileSync(tmp, body, { mode: 0o600 })
  try {
    linkSync(tmp, file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return { keys: readPair(file), created: false } // another process won the race
  } finally {
    rmSync(tmp, { force: true })
  }
  return { keys, created: true }
}
