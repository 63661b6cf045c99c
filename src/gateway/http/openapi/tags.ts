/**
 * Tags group the operations by resource in the document (and in generated docs). A route's tag
 * follows from its path, so a new route under a known resource needs nothing; anything else is
 * System.
 */
import type { Json } from './json-schema.js'

interface Tag {
  name: string
  description: string
  /** Paths (hono syntax) of the tag. */
  match: RegExp
}

/** In the order the document lists them; the first match wins. */
const TAGS: readonly Tag[] = [
  {
    name: 'Messages',
    description: 'Send a message, read it with its status history; attachments.',
    match: /^\/v1\/(messages|attachments)(\/|$)/,
  },
  {
    name: 'Contacts',
    description: 'Create, search and update contacts; eligibility per channel; timeline.',
    match: /^\/v1\/contacts(\/|$)/,
  },
  {
    name: 'Threads',
    description: 'Conversations: start, list, read, close, snooze, assign, tag.',
    match: /^\/v1\/threads(\/|$)/,
  },
  {
    name: 'Bulk',
    description: 'One message to many contacts: start, follow, cancel.',
    match: /^\/v1\/bulk(\/|$)/,
  },
  {
    name: 'Channel-facing',
    description:
      'Called by relays, web sites and platforms, not with an API key: webhook-channel inbound and status, Web Push registration, platform webhooks.',
    match: /^(\/v1\/channels\/:name\/|\/hooks\/)/,
  },
  {
    name: 'Channels',
    description: 'The configured channels, their state and rules.',
    match: /^\/v1\/channels$/,
  },
  {
    name: 'System',
    description: 'Health, metrics, this document, config reload.',
    match: /^/,
  },
]

export function tagOf(path: string): string {
  return TAGS.find((t) => t.match.test(path))?.name ?? 'System'
}

/** The tags the document uses, with their descriptions, in the order above. */
export function tagList(used: ReadonlySet<string>): Json[] {
  return TAGS.filter((t) => used.has(t.name)).map((t) => ({
    name: t.name,
    description: t.description,
  }))
}
