/**
 * `GET/POST /unsubscribe/{token}` (DESIGN §15, RFC 8058): the email one-click unsubscribe link.
 * A mail client POSTs `List-Unsubscribe=One-Click` to it (no cookie, no page); a person who opens
 * it gets a page whose button makes the same POST. Only a token we signed does anything: a
 * tampered one answers 400, a contact that no longer exists 404, each with a plain page.
 */
import type { RouteInput } from '../http/route.js'
import type { Services } from '../services.js'
import { changeConsent } from './record.js'
import { confirmPage, donePage, page } from './unsubscribe-page.js'

const INVALID = '<p>This unsubscribe link is not valid. Use the link of an email you received.</p>'
const GONE = '<p>We hold nothing for this link any more: nothing is sent to it.</p>'

/** The page with the button; nothing changes on a GET (link scanners open every URL). */
export const unsubscribeForm =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<Response> => {
    const who = svc.unsubscribe.verify(i.params['token'] ?? '')
    if (who === null) return page(400, 'Invalid link', INVALID)
    if ((await svc.store.contacts.get(who.contactId)) === null)
      return page(404, 'Unknown link', GONE)
    return confirmPage(who.channel)
  }

/** The one click: the contact is opted out of that email channel (source `one_click`). */
export const unsubscribePost =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<Response> => {
    const who = svc.unsubscribe.verify(i.params['token'] ?? '')
    if (who === null) return page(400, 'Invalid link', INVALID)
    const out = await changeConsent(svc, {
      contactId: who.contactId,
      channel: who.channel,
      status: 'opted_out',
      source: { kind: 'one_click' },
    })
    if (out === null) return page(404, 'Unknown link', GONE)
    return donePage(who.channel)
  }
