/**
 * widget.js (DESIGN §12): the site embeds
 * `<script src="https://gw.example/widget.js" data-channel="site" data-external-id="…"
 * data-user-hash="…" async></script>`; every call goes back to where this file came from.
 * Optional: `data-first-name`, `data-last-name`, `data-email` (fill an empty contact field),
 * `data-push="/sw.js"` (offer push through the site's service worker), `data-push-channel`,
 * `data-title`.
 */
import type { WidgetOptions } from './types.js'
import { Widget } from './widget.js'

function options(script: HTMLScriptElement): WidgetOptions | null {
  const d = script.dataset
  if (!d.channel || !d.externalId || !d.userHash) {
    console.warn('omnigate widget: data-channel, data-external-id and data-user-hash are required')
    return null
  }
  return {
    // `…/widget.js` → `…`: keeps a path prefix the daemon is served under.
    base: script.src.replace(/\/widget\.js(?:[?#].*)?$/, ''),
    channel: d.channel,
    externalId: d.externalId,
    userHash: d.userHash,
    firstName: d.firstName,
    lastName: d.lastName,
    email: d.email,
    push: d.push,
    pushChannel: d.pushChannel,
    title: d.title ?? 'Chat',
  }
}

function boot(): void {
  const script =
    (document.currentScript as HTMLScriptElement | null) ??
    document.querySelector<HTMLScriptElement>('script[src*="widget.js"][data-channel]')
  const o = script && options(script)
  if (!o) return
  const mount = () => new Widget(o).mount(document.body)
  if (document.body) mount()
  else document.addEventListener('DOMContentLoaded', mount, { once: true })
}

boot()
