/**
 * The widget's elements in a shadow root: a launcher button and a chat panel. The accessible
 * names are a contract (DESIGN §12): `Open chat` (with `(N unread)`), `Close chat`, the
 * `Conversation` log, the `Type a message` textbox and `Send`.
 */
import { el } from './dom.js'
import { CSS } from './style.js'

export interface View {
  host: HTMLElement
  launcher: HTMLButtonElement
  badge: HTMLElement
  panel: HTMLElement
  close: HTMLButtonElement
  log: HTMLElement
  more: HTMLButtonElement
  typing: HTMLElement
  error: HTMLElement
  notify: HTMLButtonElement
  form: HTMLFormElement
  input: HTMLTextAreaElement
  attach: HTMLButtonElement
  file: HTMLInputElement
  files: HTMLElement
  send: HTMLButtonElement
}

export function buildView(title: string): View {
  const host = el('div', { 'data-omnigate-webchat': '' })
  const root = host.attachShadow({ mode: 'open' })
  const style = el('style')
  style.textContent = CSS
  const badge = el('span', { class: 'badge', 'aria-hidden': 'true', hidden: '' })
  const launcher = el(
    'button',
    { type: 'button', class: 'launcher', 'aria-label': 'Open chat', 'aria-expanded': 'false' },
    bubble(),
    badge,
  )
  const close = el('button', { type: 'button', class: 'icon', 'aria-label': 'Close chat' }, '×')
  const more = el('button', { type: 'button', class: 'more', hidden: '' }, 'Earlier messages')
  const log = el(
    'div',
    {
      class: 'log',
      role: 'log',
      'aria-label': 'Conversation',
      'aria-live': 'polite',
      tabindex: '0',
    },
    more,
  )
  const typing = el('div', { class: 'typing', 'aria-live': 'polite' })
  const error = el('div', { class: 'error', role: 'alert', hidden: '' })
  const notify = el(
    'button',
    { type: 'button', class: 'notify', hidden: '' },
    'Get notified of replies',
  )
  const input = el('textarea', {
    'aria-label': 'Type a message',
    rows: '1',
    maxlength: '4000',
    enterkeyhint: 'send',
  })
  const file = el('input', { type: 'file', hidden: '', multiple: '' })
  const attach = el('button', { type: 'button', class: 'icon', 'aria-label': 'Attach a file' }, '+')
  const send = el('button', { type: 'submit', class: 'send' }, 'Send')
  const files = el('div', { class: 'files', 'aria-live': 'polite', hidden: '' })
  const form = el('form', {}, attach, file, input, send)
  const panel = el(
    'section',
    { class: 'panel', role: 'dialog', 'aria-label': title, hidden: '' },
    el('header', {}, el('h2', {}, title), close),
    log,
    typing,
    error,
    notify,
    files,
    form,
  )
  root.append(style, launcher, panel)
  return {
    host,
    launcher,
    badge,
    panel,
    close,
    log,
    more,
    typing,
    error,
    notify,
    form,
    input,
    attach,
    file,
    files,
    send,
  }
}

/** A speech bubble drawn with SVG elements (no markup string is parsed). */
function bubble(): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg'
  const svg = document.createElementNS(ns, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('width', '28')
  svg.setAttribute('height', '28')
  svg.setAttribute('aria-hidden', 'true')
  const path = document.createElementNS(ns, 'path')
  path.setAttribute('fill', 'currentColor')
  path.setAttribute(
    'd',
    'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z',
  )
  svg.append(path)
  return svg
}
