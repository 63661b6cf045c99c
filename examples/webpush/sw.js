// Service worker: shows what Omnigate pushes and opens its link on click.
// A push carries JSON: { title, text, url?, message_id } (docs/channels/webpush.md).

self.addEventListener('push', (event) => {
  let data = {}
  try {
    data = event.data ? event.data.json() : {}
  } catch {
    data = { text: event.data ? event.data.text() : '' }
  }
  event.waitUntil(
    self.registration.showNotification(data.title || 'New message', {
      body: data.text || '',
      // One notification per message: a retried push replaces the first instead of adding a second.
      tag: data.message_id,
      data: { url: data.url || '/', message_id: data.message_id },
    }),
  )
})

self.addEventListener('notificationclick', (event) => {
  event.notification.close()
  const target = new URL(event.notification.data?.url || '/', self.location.origin).href
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => w.url === target)
      return open ? open.focus() : self.clients.openWindow(target)
    }),
  )
})

// The browser may replace a subscription (key rotation, expiry): register the new one, or pushes
// to the old one start failing with 410 and Omnigate marks the person unreachable.
self.addEventListener('pushsubscriptionchange', (event) => {
  const options = event.oldSubscription?.options
  if (!options) return
  event.waitUntil(
    self.registration.pushManager.subscribe(options).then((subscription) =>
      fetch('/api/push-subscription', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify(subscription),
      }),
    ),
  )
})
