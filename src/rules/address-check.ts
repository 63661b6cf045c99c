/**
 * Step 2 of DESIGN §5: the contact has an address on the channel, and it fits the channel's kind.
 */
import { addressKindForType, normalizeAddress, type AddressKind } from './address.js'
import { refusal, type Failed } from './refusal.js'
import type { ChannelInfo, ContactFacts, IdentityFacts } from './types.js'

/** A channel's address kind: webhook relays set it with `address`, every other type fixes it. */
export function channelAddressKind(channel: ChannelInfo): AddressKind {
  return channel.type === 'webhook' ? channel.addressKind : addressKindForType(channel.type)
}

const NO_ADDRESS_HINT: Record<AddressKind, string> = {
  phone: "add the contact's phone number in full international format (+<country code>…)",
  email: "add the contact's email address",
  telegram: 'a Telegram chat id comes from the person writing to the bot',
  line: 'a LINE user id comes from the person adding the account as a friend',
  push: 'a push subscription comes from the person subscribing on the site or app',
  any: 'add an identity with their address on this channel',
}

/**
 * True when the contact has an address on the channel, valid or not: an identity there, or the
 * email (phone) an email (phone) channel derives one from. Eligibility lists exactly these channels.
 */
export function hasAddress(
  channel: ChannelInfo,
  contact: ContactFacts,
  identity: IdentityFacts | null,
): boolean {
  return rawAddress(channelAddressKind(channel), contact, identity) !== null
}

function rawAddress(
  kind: AddressKind,
  contact: ContactFacts,
  identity: IdentityFacts | null,
): string | null {
  const derived = kind === 'email' ? contact.email : kind === 'phone' ? contact.phone : null
  return identity?.address ?? (derived === '' ? null : derived)
}

/**
 * The address a send goes to: the identity's, or else the contact's email (email channels) or phone
 * (phone channels), normalised for the channel's kind.
 */
export function resolveAddress(
  channel: ChannelInfo,
  kind: AddressKind,
  contact: ContactFacts,
  identity: IdentityFacts | null,
): { ok: true; address: string } | Failed {
  const rule = `channels.${channel.name}.${channel.type === 'webhook' ? 'address' : 'type'}`
  const field =
    identity !== null ? 'identity.address' : kind === 'email' ? 'contact.email' : 'contact.phone'
  const raw = rawAddress(kind, contact, identity)
  if (raw === null) {
    const message = `The contact has no address on channel "${channel.name}": ${NO_ADDRESS_HINT[kind]}.`
    return { ok: false, refusal: refusal('no_address', message, rule, { kind }) }
  }
  const r = normalizeAddress(kind, raw)
  if (r.ok) return r
  return {
    ok: false,
    refusal: refusal(
      'address_invalid',
      `Address "${raw}" can't be used on channel "${channel.name}": ${r.reason}.`,
      rule,
      { field, address: raw, kind, reason: r.reason },
    ),
  }
}
