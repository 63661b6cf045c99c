/**
 * The small pages of the one-click link (DESIGN §15): the question with its button, the answer,
 * and the plain refusal of a link we did not sign. Every text from data is escaped; no script, no
 * style sheet, and a strict Content-Security-Policy like the console's.
 */

/** No script and nothing from elsewhere; the form may post only to this server. */
const PAGE_CSP = "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** An HTML page with the console's security headers. */
export function page(status: number, title: string, body: string): Response {
  const html =
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="robots" content="noindex">' +
    `<title>${escapeHtml(title)}</title></head>` +
    `<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>\n`
  return new Response(html, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    },
  })
}

/** The question: a button that POSTs the RFC 8058 body to the same URL. */
export function confirmPage(channel: string): Response {
  return page(
    200,
    'Unsubscribe',
    `<p>Stop receiving email from us on “${escapeHtml(channel)}”?</p>` +
      '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">' +
      '<button type="submit">Unsubscribe</button></form>',
  )
}

export function donePage(channel: string): Response {
  return page(
    200,
    'Unsubscribed',
    `<p>You will get no more email from us on “${escapeHtml(channel)}”.</p>`,
  )
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}
