/**
 * Address normalisation per channel kind (DESIGN §5 step 2): a WhatsApp number must be full
 * international E.164, an email a plain RFC 5322 addr-spec, a Telegram chat a numeric id, a LINE
 * user `U` + 32 hex. Pure: libphonenumber-js does no I/O.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js'
import type { ChannelInfo, ChannelType } from './types.js'

export type AddressKind = ChannelInfo['addressKind']

export type AddressResult = { ok: true; address: string } | { ok: false; reason: string }

/** Separators people type in phone numbers; letters (vanity numbers) and extensions are refused. */
const PHONE_CHARS_RE = /^\+[\d\s\-().]+$/

// RFC 5322 dot-atom local part (the quoted-string form is refused: no mailbox we send to needs it).
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
const LOCAL_PART_RE = new RegExp(`^${ATEXT}(?:\\.${ATEXT})*$`)
const DOMAIN_LABEL_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const MAX_LOCAL_PART = 64 // RFC 5321 §4.5.3.1.1
const MAX_EMAIL = 254 // RFC 5321 path limit (256) minus the angle brackets

const TELEGRAM_ID_RE = /^-?[1-9]\d{0,18}$/
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

const LINE_USER_ID_RE = /^U[0-9a-f]{32}$/

/** RFC 5321 caps a mailbox at 320 characters (64 + @ + 255); generous for any relay's address. */
const MAX_ANY_ADDRESS = 320

/**
 * Validates and normalises an address for a channel of the given kind. `phone` gives E.164
 * (`+442079460958`) and requires the leading `+`; `email` lowercases the address; `telegram` and
 * `line` are checked but not rewritten beyond trimming. The reason is a sentence fragment naming
 * what is wrong, suitable after "address … is invalid: ".
 */
export function normalizeAddress(kind: AddressKind, raw: string): AddressResult {
  const text = raw.trim()
  if (text === '') return { ok: false, reason: 'it is empty' }
  switch (kind) {
    case 'phone':
      return normalizePhone(text)
    case 'email':
      return normalizeEmail(text)
    case 'telegram':
      return normalizeTelegram(text)
    case 'line':
      return LINE_USER_ID_RE.test(text)
        ? { ok: true, address: text }
        : { ok: false, reason: 'a LINE user id is "U" followed by 32 lowercase hex digits' }
    case 'push':
      return { ok: true, address: text }
    case 'any':
      return text.length <= MAX_ANY_ADDRESS
        ? { ok: true, address: text }
        : { ok: false, reason: `it is longer than ${MAX_ANY_ADDRESS} characters` }
  }
}

/**
 * The address kind of a channel type. Webhook channels take theirs from the `address` setting
 * (`phone | email | any`, default `any`).
 */
export function addressKindForType(
  type: ChannelType,
  webhookAddress?: 'phone' | 'email' | 'any',
): AddressKind {
  switch (type) {
    case 'telegram':
      return 'telegram'
    case 'whatsapp':
    case 'whatsapp-cloud':
      return 'phone'
    case 'line':
      return 'line'
    case 'email':
      return 'email'
    case 'webpush':
      return 'push'
    case 'webhook':
      return webhookAddress ?? 'any'
    case 'webchat':
      return 'any'
  }
}

function normalizePhone(text: string): AddressResult {
  if (!text.startsWith('+')) {
    const reason = 'a phone number must be in full international format: +<country code>…'
    return { ok: false, reason }
  }
  if (!PHONE_CHARS_RE.test(text)) {
    const reason = 'a phone number may hold only digits, spaces, dashes and parentheses'
    return { ok: false, reason }
  }
  const parsed = parsePhoneNumberFromString(text)
  if (parsed === undefined || !parsed.isValid()) {
    return { ok: false, reason: 'it is not a valid phone number for its country code' }
  }
  return { ok: true, address: parsed.number }
}

function normalizeEmail(text: string): AddressResult {
  const at = text.lastIndexOf('@')
  if (at < 0) return { ok: false, reason: 'an email address needs an @' }
  if (text.length > MAX_EMAIL) {
    return { ok: false, reason: `it is longer than ${MAX_EMAIL} characters` }
  }
  const local = text.slice(0, at)
  const domain = text.slice(at + 1).toLowerCase()
  if (local.length > MAX_LOCAL_PART || !LOCAL_PART_RE.test(local)) {
    return { ok: false, reason: `"${local}" is not a valid mailbox name (before the @)` }
  }
  const labels = domain.split('.')
  const tld = labels[labels.length - 1] ?? ''
  if (labels.length < 2 || !labels.every((l) => DOMAIN_LABEL_RE.test(l)) || /^\d+$/.test(tld)) {
    return { ok: false, reason: `"${domain}" is not a valid mail domain` }
  }
  // The whole address is lowercased: RFC 5321 lets a server treat the local part's case as
  // significant, but mail providers don't, and people write the same address in different
  // cases; one person must stay one identity (a reply as `ana@` to a mail sent to `Ana@`).
  return { ok: true, address: `${local.toLowerCase()}@${domain}` }
}

function normalizeTelegram(text: string): AddressResult {
  const reason = 'a Telegram chat id is a whole number (negative for groups)'
  if (!TELEGRAM_ID_RE.test(text)) return { ok: false, reason }
  const id = BigInt(text)
  return id >= INT64_MIN && id <= INT64_MAX ? { ok: true, address: text } : { ok: false, reason }
}
