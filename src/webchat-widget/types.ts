/** What the widget reads from the webchat endpoints (DESIGN §12), loosely: unknown fields are kept out. */

/** An attachment of a message; `url` (when the server gives one) opens its bytes. */
export interface ChatAttachment {
  id: string
  filename: string
  content_type: string
  size?: number
  url?: string
}

/** A message of the visitor's thread. `in` is the visitor's own, `out` is the site's (an agent, an app). */
export interface ChatMessage {
  id: string
  direction: 'in' | 'out'
  text: string | null
  attachments: ChatAttachment[]
  status: string
  created_at: string
  author?: string
  /** The agent's display name, when known. */
  author_name?: string | null
}

/** `POST …/webchat/session`. */
export interface Session {
  token: string
  contact_id: string
  thread_id?: string | null
  /** The webpush channel of `fallback.push`, when the daemon says (else `data-push-channel`). */
  push_channel?: string | null
}

/** The widget's settings, from its `<script data-…>` attributes. */
export interface WidgetOptions {
  /** Where widget.js came from: every call goes to this origin. */
  base: string
  channel: string
  externalId: string
  userHash: string
  firstName?: string
  lastName?: string
  email?: string
  /** The site's service worker (`data-push="/sw.js"`): push opt-in is offered when set. */
  push?: string
  /** The webpush channel, when the session answer does not name it (`data-push-channel`). */
  pushChannel?: string
  title: string
}

/** A file the visitor picked, read for upload. */
export interface OutgoingAttachment {
  filename: string
  content_type: string
  data: string
}
