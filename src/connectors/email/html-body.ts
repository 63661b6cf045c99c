/**
 * The HTML alternative of an outgoing mail: the same text, escaped, with line breaks kept and
 * web links clickable. Mail clients that prefer HTML then show the text as it was written instead
 * of reflowing it, and nothing an agent types can inject markup.
 */

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g

/** Plain text → a minimal HTML document. */
export function textToHtml(text: string): string {
  const body = text.replace(/\r\n?/g, '\n').split('\n').map(linkify).join('<br>\n')
  const page = `<html><body><div style="font-family:sans-serif">${body}</div></body></html>`
  return `<!doctype html>\n${page}\n`
}

function linkify(line: string): string {
  let out = ''
  let last = 0
  for (const match of line.matchAll(URL_PATTERN)) {
    const start = match.index ?? 0
    out += escapeHtml(line.slice(last, start))
    const url = escapeHtml(match[0])
    out += `<a href="${url}">${url}</a>`
    last = start + match[0].length
  }
  return out + escapeHtml(line.slice(last))
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}
