/**
 * The widget's behaviour: the session and the live stream start at once (the unread badge counts
 * while the panel is closed, and an open stream is what makes a message `delivered`); opening the
 * panel shows the history, and the site's messages are reported seen while the panel is open and
 * the page visible.
 */
import { ChatApi, ChatApiError, type Posted } from './api.js'
import { pushSupported, refresh, subscribe } from './push.js'
import { ChatStream } from './stream.js'
import { pendingId, ThreadView } from './thread-view.js'
import type { ChatMessage, OutgoingAttachment, WidgetOptions } from './types.js'
import { buildView, type View } from './view.js'

/** A message the daemon did not take (network, 5xx) is tried again this often, same `client_id`. */
const SEND_ATTEMPTS = 3
/** How long "Typing…" stays without a new `typing` event. */
const TYPING_MS = 6_000
/** The visitor's typing is reported at most this often (consoles show it for a few seconds). */
const TYPING_EVERY_MS = 3_000
/** Files above this are refused here rather than by the daemon's body limit, after the upload. */
const MAX_FILE_BYTES = 5 * 1024 * 1024

export class Widget {
  private readonly api: ChatApi
  private readonly v: View
  private readonly thread: ThreadView
  private readonly stream: ChatStream
  private isOpen = false
  private loadingOlder = false
  private loadedOnce = false
  private lastTypingSent = 0
  private noOlder = false
  private typingTimer: ReturnType<typeof setTimeout> | undefined
  private picked: File[] = []

  constructor(private readonly o: WidgetOptions) {
    this.api = new ChatApi(o)
    this.v = buildView(o.title)
    this.thread = new ThreadView(this.v.log, (a) => onDaemon(o.base, a.url))
    this.stream = new ChatStream(this.api, {
      message: (d) => this.onMessage(d as ChatMessage),
      status: (d) => this.onStatus(d as { message_id?: string; id?: string; status?: string }),
      typing: (d) => this.onTyping(d as { agent_name?: string | null }),
      resumed: () => void this.loadLatest(),
    })
  }

  mount(parent: HTMLElement): void {
    parent.append(this.v.host)
    const v = this.v
    v.launcher.addEventListener('click', () => this.open())
    v.close.addEventListener('click', () => this.close())
    v.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close()
    })
    v.form.addEventListener('submit', (e) => {
      e.preventDefault()
      void this.submit()
    })
    v.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault()
        void this.submit()
      }
    })
    v.input.addEventListener('input', () => this.typing())
    v.attach.addEventListener('click', () => v.file.click())
    v.file.addEventListener('change', () => this.pick())
    v.more.addEventListener('click', () => void this.loadOlder())
    v.log.addEventListener('scroll', () => {
      if (v.log.scrollTop < 40) void this.loadOlder()
    })
    v.notify.addEventListener('click', () => void this.optIn())
    document.addEventListener('visibilitychange', () => this.markSeen())
    void this.start()
  }

  private async start(): Promise<void> {
    try {
      await this.api.current()
    } catch (e) {
      this.fail(e)
      return
    }
    this.stream.start()
    await this.loadLatest()
    await this.offerPush()
  }

  open(): void {
    this.isOpen = true
    this.v.panel.hidden = false
    this.v.launcher.hidden = true
    this.v.launcher.setAttribute('aria-expanded', 'true')
    this.v.input.focus()
    this.scrollToEnd()
    this.markSeen()
  }

  close(): void {
    this.isOpen = false
    this.v.panel.hidden = true
    this.v.launcher.hidden = false
    this.v.launcher.setAttribute('aria-expanded', 'false')
    this.v.launcher.focus()
  }

  private async loadLatest(): Promise<void> {
    try {
      const page = await this.api.history()
      for (const m of page.items) this.thread.upsert(m)
      // Only the first load says whether there is more: after a resume older pages may be shown.
      if (!this.loadedOnce) this.noOlder = page.next_before === null
      this.loadedOnce = true
      this.v.more.hidden = this.noOlder
      this.changed(true)
    } catch (e) {
      this.fail(e)
    }
  }

  private async loadOlder(): Promise<void> {
    const before = this.thread.oldestId()
    if (this.loadingOlder || this.noOlder || !before) return
    this.loadingOlder = true
    const log = this.v.log
    const fromBottom = log.scrollHeight - log.scrollTop
    try {
      const page = await this.api.history(before)
      if (page.next_before === null) this.noOlder = true
      for (const m of page.items) this.thread.upsert(m)
      this.v.more.hidden = this.noOlder
      // Keep what the visitor was reading where it was.
      log.scrollTop = log.scrollHeight - fromBottom
      this.changed(false)
    } catch (e) {
      this.fail(e)
    } finally {
      this.loadingOlder = false
    }
  }

  private onMessage(m: ChatMessage): void {
    if (!m || typeof m.id !== 'string') return
    if (m.direction === 'out') this.showTyping(false)
    this.thread.upsert(m)
    this.changed(true)
  }

  private onStatus(d: { message_id?: string; id?: string; status?: string }): void {
    const id = d.message_id ?? d.id
    if (id && d.status) this.thread.setStatus(id, d.status)
    this.changed(false)
  }

  private onTyping(d: { agent_name?: string | null }): void {
    this.showTyping(true, d?.agent_name)
  }

  private showTyping(on: boolean, who?: string | null): void {
    clearTimeout(this.typingTimer)
    this.v.typing.textContent = on ? (who ? `${who} is typing…` : 'Typing…') : ''
    if (on) this.typingTimer = setTimeout(() => this.showTyping(false), TYPING_MS)
  }

  /** After the thread changed: the badge, the seen report, the scroll. */
  private changed(scroll: boolean): void {
    this.markSeen()
    const n = this.thread.unread().length
    this.v.launcher.setAttribute('aria-label', n > 0 ? `Open chat (${n} unread)` : 'Open chat')
    this.v.badge.textContent = n > 99 ? '99+' : String(n)
    this.v.badge.hidden = n === 0
    if (scroll) this.scrollToEnd()
  }

  /** Seen means: the panel is open and the page is in front of the visitor. */
  private markSeen(): void {
    if (!this.isOpen || document.visibilityState !== 'visible') return
    const unread = this.thread.unread()
    const last = unread[unread.length - 1]
    if (!last) return
    for (const m of unread) this.thread.setStatus(m.id, 'read')
    this.changed(false)
    this.api.seen(last.id).catch((e: unknown) => this.fail(e))
  }

  /** Tells the agents the visitor is typing, at most every few seconds. */
  private typing(): void {
    const now = Date.now()
    if (now - this.lastTypingSent < TYPING_EVERY_MS || !this.v.input.value) return
    this.lastTypingSent = now
    this.api.typing().catch(() => {
      // A hint only: a lost one is not worth a message to the visitor.
    })
  }

  private pick(): void {
    const files = [...(this.v.file.files ?? [])]
    const big = files.find((f) => f.size > MAX_FILE_BYTES)
    if (big) this.showError(`${big.name} is too large (5 MB at most).`)
    this.picked = files.filter((f) => f.size <= MAX_FILE_BYTES)
    this.v.files.textContent = this.picked.map((f) => f.name).join(', ')
    this.v.files.hidden = this.picked.length === 0
  }

  private async submit(): Promise<void> {
    const text = this.v.input.value.trim()
    const files = this.picked
    if (!text && files.length === 0) return
    this.v.input.value = ''
    this.picked = []
    this.v.file.value = ''
    this.v.files.hidden = true
    const clientId = newClientId()
    const pending: ChatMessage = {
      id: pendingId(clientId),
      direction: 'in',
      text,
      attachments: files.map((f, i) => ({
        id: `${clientId}-${i}`,
        filename: f.name,
        content_type: f.type || 'application/octet-stream',
      })),
      status: 'sending',
      created_at: new Date().toISOString(),
    }
    this.thread.upsert(pending)
    this.scrollToEnd()
    try {
      const attachments = await Promise.all(files.map(readFile))
      const saved = await this.sendWithRetry(clientId, text, attachments)
      this.thread.settle(clientId, saved.message_id)
    } catch (e) {
      this.thread.upsert({ ...pending, status: 'failed' })
      this.fail(e)
    }
  }

  private async sendWithRetry(
    clientId: string,
    text: string,
    att: OutgoingAttachment[],
  ): Promise<Posted> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.api.send(clientId, text, att)
      } catch (e) {
        const final = e instanceof ChatApiError && e.status < 500
        if (final || attempt >= SEND_ATTEMPTS) throw e
        await new Promise((r) => setTimeout(r, 500 * 2 ** attempt))
      }
    }
  }

  private async offerPush(): Promise<void> {
    if (!this.o.push || !this.pushChannel() || !pushSupported()) return
    try {
      if (await refresh(this.api, this.o.push)) return
    } catch {
      // Not registered yet: offer the button.
    }
    this.v.notify.hidden = false
  }

  private async optIn(): Promise<void> {
    const channel = this.pushChannel()
    if (!this.o.push || !channel) return
    try {
      if (await subscribe(this.api, this.o.push, channel)) this.v.notify.hidden = true
    } catch (e) {
      this.fail(e)
    }
  }

  private pushChannel(): string | undefined {
    const s = this.api.known()
    return s?.push_channel ?? this.o.pushChannel
  }

  private scrollToEnd(): void {
    this.v.log.scrollTop = this.v.log.scrollHeight
  }

  private fail(e: unknown): void {
    const offline = !(e instanceof ChatApiError)
    this.showError(
      offline ? 'Connection lost. Trying again…' : 'Something went wrong. Please try again.',
    )
  }

  private showError(text: string): void {
    this.v.error.textContent = text
    this.v.error.hidden = false
    setTimeout(() => {
      this.v.error.hidden = true
    }, 8_000)
  }
}

function newClientId(): string {
  // randomUUID needs a secure context; a plain-http page falls back to random enough for dedupe.
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID()
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`
}

function readFile(f: File): Promise<OutgoingAttachment> {
  return new Promise((resolve, reject) => {
    const r = new FileReader()
    r.onerror = () => reject(r.error ?? new Error('read failed'))
    r.onload = () => {
      const url = typeof r.result === 'string' ? r.result : ''
      resolve({
        filename: f.name,
        content_type: f.type || 'application/octet-stream',
        data: url.slice(url.indexOf(',') + 1),
      })
    }
    r.readAsDataURL(f)
  })
}

/**
 * A signed attachment link, pointed at the daemon this widget talks to: the daemon signs it under
 * `server.public_url`, which may be an address the visitor's browser does not reach (a proxy's
 * inside name); the path and the signature are what matter.
 */
function onDaemon(base: string, url: string | undefined): string {
  if (!url) return ''
  const u = new URL(url, base)
  const at = u.pathname.indexOf('/v1/attachments/')
  return at < 0 ? u.href : `${base}${u.pathname.slice(at)}${u.search}`
}
