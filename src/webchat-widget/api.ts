/**
 * The widget's calls to its own daemon (DESIGN §12): a session token from the visitor's
 * `external_id` + `user_hash`, renewed once when a call answers 401 (the token is short-lived);
 * GETs carry it as `?token=` (EventSource can't set headers), POSTs as a bearer header.
 */
import type { ChatMessage, OutgoingAttachment, Session, WidgetOptions } from './types.js'

/** `GET …/webchat/messages`: oldest first; `next_before` pages back (null: nothing older). */
export interface HistoryPage {
  items: ChatMessage[]
  next_before: string | null
}

/** `POST …/webchat/messages`: stored (the same answer for a retried `client_id`). */
export interface Posted {
  message_id: string
  thread_id: string
  client_id: string
}

/** A failed call: the API's error `code` when it sent one (`docs/api.md`), else `http_<status>`. */
export class ChatApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`${status} ${code}`)
  }
}

export class ChatApi {
  private session: Session | null = null
  private pending: Promise<Session> | null = null

  constructor(private readonly o: WidgetOptions) {}

  /** `/v1/channels/{name}/webchat/<path>` on the daemon widget.js came from. */
  url(path: string): string {
    return `${this.o.base}/v1/channels/${encodeURIComponent(this.o.channel)}/webchat/${path}`
  }

  /** The session held now, if any (no call). */
  known(): Session | null {
    return this.session
  }

  /** The current session, created on first use; `fresh` replaces an expired one. */
  async current(fresh = false): Promise<Session> {
    if (this.session && !fresh) return this.session
    if (!this.pending) {
      this.pending = this.open().finally(() => {
        this.pending = null
      })
    }
    return this.pending
  }

  private async open(): Promise<Session> {
    const body: Record<string, string> = {
      external_id: this.o.externalId,
      user_hash: this.o.userHash,
    }
    if (this.o.firstName) body.first_name = this.o.firstName
    if (this.o.lastName) body.last_name = this.o.lastName
    if (this.o.email) body.email = this.o.email
    const res = await fetch(this.url('session'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
    })
    this.session = (await answer(res)) as Session
    return this.session
  }

  /** A page of history (oldest first), older than `before` (a message id) when given. */
  async history(before?: string): Promise<HistoryPage> {
    const body = (await this.get('messages', before ? { before } : {})) as Partial<HistoryPage>
    return { items: body.items ?? [], next_before: body.next_before ?? null }
  }

  /** The visitor writes; `clientId` makes a retry of the same message harmless. */
  async send(clientId: string, text: string, attachments: OutgoingAttachment[]): Promise<Posted> {
    const body: Record<string, unknown> = { client_id: clientId }
    if (text) body.text = text
    if (attachments.length > 0) body.attachments = attachments
    return (await this.post('messages', body)) as Posted
  }

  /** The visitor is typing (shown to agents in their consoles). */
  async typing(): Promise<void> {
    await this.post('typing', {})
  }

  async seen(upTo: string): Promise<void> {
    await this.post('seen', { up_to: upTo })
  }

  async subscribePush(subscription: PushSubscriptionJSON): Promise<void> {
    await this.post('push', { subscription })
  }

  /** The stream's URL with a fresh enough token (and where to resume, for a new EventSource). */
  async streamUrl(lastEventId: string | null, fresh: boolean): Promise<string> {
    const s = await this.current(fresh)
    const resume = lastEventId ? `&last_event_id=${encodeURIComponent(lastEventId)}` : ''
    return `${this.url('stream')}?token=${encodeURIComponent(s.token)}${resume}`
  }

  /** The VAPID public key of the webpush channel (public, no token). */
  async pushKey(channel: string): Promise<string> {
    const res = await fetch(`${this.o.base}/v1/channels/${encodeURIComponent(channel)}/push-key`)
    const body = (await answer(res)) as { vapid_public_key?: string }
    const key = body.vapid_public_key
    if (!key) throw new ChatApiError(res.status, 'no_public_key')
    return key
  }

  private async get(path: string, query: Record<string, string>): Promise<unknown> {
    return this.retryOn401(async (s) => {
      const q = new URLSearchParams({ ...query, token: s.token })
      return fetch(`${this.url(path)}?${q.toString()}`, { credentials: 'omit' })
    })
  }

  private async post(path: string, body: unknown): Promise<unknown> {
    return this.retryOn401((s) =>
      fetch(this.url(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
        body: JSON.stringify(body),
        credentials: 'omit',
      }),
    )
  }

  private async retryOn401(call: (s: Session) => Promise<Response>): Promise<unknown> {
    let res = await call(await this.current())
    if (res.status === 401) res = await call(await this.current(true))
    return answer(res)
  }
}

async function answer(res: Response): Promise<unknown> {
  const body: unknown = res.status === 204 ? null : await res.json().catch(() => null)
  if (!res.ok) {
    const code = (body as { error?: { code?: string } } | null)?.error?.code
    throw new ChatApiError(res.status, code ?? `http_${res.status}`)
  }
  return body
}
