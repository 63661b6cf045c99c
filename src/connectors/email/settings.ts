/**
 * The `email` channel's YAML block (DESIGN §4): its schema, which holds each default, and how its
 * URLs become library options. Parsing lives here so the config checker and the connector agree on
 * what a valid URL is, and so no other file ever handles the password inside a URL.
 */
import { z } from 'zod'
import {
  credentialUrl,
  email,
  hostPort,
  strict,
  text,
  type ChannelTimeout,
} from '../shared/settings-parts.js'

/** The channel's own keys; the config adds `rules` and `timeout` to every channel. */
export const emailSettings = strict({
  type: z.literal('email'),
  smtp: strict({
    url: credentialUrl(['smtp', 'smtps'], 'Outgoing server, smtps://user:pass@host:465.'),
  }).meta({ description: 'Outgoing mail.' }),
  imap: strict({
    url: credentialUrl(['imap', 'imaps'], 'Incoming server, imaps://user:pass@host:993.'),
    mailbox: text('Mailbox watched for replies.').default('INBOX'),
  })
    .optional()
    .meta({ description: 'Incoming mail by IMAP IDLE (or use smtp_listen).' }),
  smtp_listen: hostPort('Receive mail with a built-in SMTP server on host:port.').optional(),
  senders: z
    .array(email('A sender mailbox.'))
    .min(1, { message: 'must list at least one sender address' })
    .meta({ description: 'Allowed From addresses; the first is the default.' }),
  default_subject: text('Subject when a send gives none.').optional(),
})

/**
 * The channel's settings as the config hands them over (`smtp.url`: `smtp://user:pass@host:587`,
 * STARTTLS when offered, or `smtps://…:465`; `imap.url` likewise), defaults applied, `timeout_ms`
 * added.
 */
export type EmailSettings = z.output<typeof emailSettings> & ChannelTimeout

export interface ServerEndpoint {
  host: string
  port: number
  /** Implicit TLS from the first byte (smtps/imaps); else STARTTLS when the server offers it. */
  secure: boolean
  user: string | null
  pass: string | null
  /** `?tls_insecure=1`: accept a self-signed or mismatched certificate (test servers only). */
  tlsInsecure: boolean
}

const DEFAULT_PORTS: Record<string, { port: number; secure: boolean }> = {
  'smtp:': { port: 587, secure: false }, // submission with STARTTLS
  'smtps:': { port: 465, secure: true },
  'imap:': { port: 143, secure: false },
  'imaps:': { port: 993, secure: true },
}

/**
 * Reads `smtp://` / `smtps://` (kind `smtp`) or `imap://` / `imaps://` (kind `imap`) URLs. Throws
 * an error naming the problem — never echoing the URL, which holds a password.
 */
export function parseServerUrl(raw: string, kind: 'smtp' | 'imap'): ServerEndpoint {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error(`${kind}.url is not a URL (expected ${kind}://user:password@host:port)`)
  }
  const defaults = DEFAULT_PORTS[url.protocol]
  if (!defaults || !url.protocol.startsWith(kind)) {
    throw new Error(`${kind}.url must start with ${kind}:// or ${kind}s://, not ${url.protocol}//`)
  }
  if (!url.hostname) throw new Error(`${kind}.url has no host`)
  const flag = url.searchParams.get('tls_insecure')
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : defaults.port,
    secure: defaults.secure,
    user: url.username ? decodeURIComponent(url.username) : null,
    pass: url.password ? decodeURIComponent(url.password) : null,
    tlsInsecure: flag === '1' || flag === 'true',
  }
}

/** Splits `smtp_listen` (`127.0.0.1:2525`, `[::1]:2525`, `:2525`) into host and port. */
export function parseListenAddress(raw: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(raw.trim())
  const port = match ? Number(match[3]) : NaN
  if (!match || !(port >= 0 && port <= 65535)) {
    throw new Error(`smtp_listen must be host:port (e.g. 127.0.0.1:2525), not "${raw}"`)
  }
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port }
}

/**
 * Every problem with an email block, as sentences naming the key (empty when valid). The config
 * checker can call it; `createEmailConnector` throws the first one.
 */
export function validateEmailSettings(
  settings: Pick<EmailSettings, 'smtp' | 'imap' | 'smtp_listen' | 'senders'>,
): string[] {
  const errors: string[] = []
  const attempt = (fn: () => void): void => {
    try {
      fn()
    } catch (err) {
      errors.push((err as Error).message)
    }
  }
  attempt(() => parseServerUrl(settings.smtp?.url ?? '', 'smtp'))
  if (settings.imap) attempt(() => parseServerUrl(settings.imap?.url ?? '', 'imap'))
  const listen = settings.smtp_listen
  if (listen !== undefined) attempt(() => parseListenAddress(listen))
  if (!Array.isArray(settings.senders) || settings.senders.length === 0) {
    errors.push('senders must list at least one address (the first is the default sender)')
  } else {
    for (const sender of settings.senders) {
      if (!/^[^@\s<>]+@[^@\s<>]+$/.test(sender)) {
        errors.push(`senders: "${sender}" is not a plain email address (name@domain)`)
      }
    }
  }
  return errors
}
