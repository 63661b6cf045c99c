/**
 * Per channel the contact has: may we write, and what (seeds 000, 002). A button only where the
 * answer is yes — `Message on <channel>` into the active thread, `Start new chat on <channel>`
 * otherwise; the reason as text where it is no (and when a window closed).
 */
import type { ChannelEligibility } from './types.js'

export function EligibilityList(props: {
  items: ChannelEligibility[]
  onWrite: (e: ChannelEligibility) => void
}) {
  return (
    <section aria-labelledby="channels-title">
      <h2 id="channels-title">Channels</h2>
      {props.items.length === 0 && <p>No channel identity: start a new session instead.</p>}
      <ul class="eligibility">
        {props.items.map((e) => (
          <li key={e.channel}>
            <span>
              {e.channel}{' '}
              <span class="muted">
                ({e.type}, {e.address})
              </span>
            </span>
            {e.can_send ? (
              <button type="button" onClick={() => props.onWrite(e)}>
                {e.thread_id ? `Message on ${e.channel}` : `Start new chat on ${e.channel}`}
              </button>
            ) : null}
            {(!e.can_send || e.code) && e.reason && (
              <span class="reason">
                {e.reason}
                {e.window_expires_at &&
                  ` (window ${windowWord(e.window_expires_at)} ${new Date(e.window_expires_at).toLocaleString()})`}
              </span>
            )}
            {e.can_send && !e.allowed_kinds.includes('text') && (
              <span class="reason">Only {e.allowed_kinds.join(', ')} may be sent.</span>
            )}
          </li>
        ))}
      </ul>
    </section>
  )
}

function windowWord(at: string): string {
  return new Date(at).getTime() < Date.now() ? 'closed' : 'closes'
}
