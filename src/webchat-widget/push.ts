/**
 * Push opt-in (DESIGN §12): registers the site's own service worker (`data-push="/sw.js"`),
 * subscribes with the VAPID key of the webpush channel and hands the subscription to the daemon,
 * which files it under the same contact, so the site needs one `user_hash` only.
 */
import type { ChatApi } from './api.js'

/** Whether this browser can take push at all (a web view often cannot: the button stays hidden). */
export function pushSupported(): boolean {
  return (
    'serviceWorker' in navigator &&
    'PushManager' in window &&
    'Notification' in window &&
    Notification.permission !== 'denied'
  )
}

/** Asks for permission (call from a click) and subscribes; true when the daemon has it. */
export async function subscribe(api: ChatApi, worker: string, channel: string): Promise<boolean> {
  const reg = await navigator.serviceWorker.register(worker)
  if ((await Notification.requestPermission()) !== 'granted') return false
  await navigator.serviceWorker.ready
  let sub = await reg.pushManager.getSubscription()
  if (!sub) {
    const key = await api.pushKey(channel)
    sub = await reg.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: fromBase64Url(key),
    })
  }
  await api.subscribePush(sub.toJSON())
  return true
}

/** Already granted earlier: hands the existing subscription over again (it may be new to us). */
export async function refresh(api: ChatApi, worker: string): Promise<boolean> {
  if (Notification.permission !== 'granted') return false
  const reg = await navigator.serviceWorker.getRegistration(worker)
  const sub = await reg?.pushManager.getSubscription()
  if (!sub) return false
  await api.subscribePush(sub.toJSON())
  return true
}

function fromBase64Url(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4)
  const bin = atob(b64)
  const out = new Uint8Array(new ArrayBuffer(bin.length))
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}
