/**
 * One channel state from the email channel's parts (SMTP out, IMAP in, the SMTP listener): any
 * part in error makes the channel `error` with every reason; otherwise a part still connecting
 * shows; otherwise `connected`. Only changes are reported.
 */
import type { ChannelState } from '../types.js'

export type ChannelPart = 'smtp' | 'imap' | 'listener'

const ORDER: ChannelPart[] = ['smtp', 'imap', 'listener']

export class ChannelStateBoard {
  private readonly parts = new Map<ChannelPart, ChannelState>()
  private last = ''

  constructor(private readonly report: (state: ChannelState) => void) {}

  set(part: ChannelPart, state: ChannelState): void {
    this.parts.set(part, state)
    this.publish()
  }

  current(): ChannelState {
    const states = ORDER.flatMap((part) => this.parts.get(part) ?? [])
    const errors = states.filter((s) => s.state === 'error')
    if (errors.length > 0) return { state: 'error', detail: details(errors) }
    const pending = states.find((s) => s.state !== 'connected')
    if (pending) return pending
    return { state: 'connected', detail: details(states) }
  }

  private publish(): void {
    const state = this.current()
    const key = JSON.stringify(state)
    if (key === this.last) return
    this.last = key
    this.report(state)
  }
}

function details(states: ChannelState[]): string | undefined {
  const text = states.flatMap((s) => (s.detail ? [s.detail] : [])).join('; ')
  return text === '' ? undefined : text
}
