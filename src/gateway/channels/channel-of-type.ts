/** The channel a channel-specific endpoint names (`/v1/channels/{name}/…`), checked for its type. */
import type { ChannelSettings } from '../../connectors/index.js'
import type { ChannelType } from '../../connectors/types.js'
import type { EnabledChannel } from '../config/types.js'
import { notFound, ruleError } from '../errors.js'
import type { Services } from '../services.js'

/** An enabled channel of `type`, its settings those of that type's connector. */
export type ChannelOfType<T extends ChannelType> = EnabledChannel & {
  settings: Extract<ChannelSettings, { type: T }>
}

/** The enabled channel `name` of `type`: 404 when there is none, 422 when it is disabled. */
export function channelOfType<T extends ChannelType>(
  svc: Services,
  name: string,
  type: T,
): ChannelOfType<T> {
  const ch = svc.config().channels[name]
  if (!ch || ch.info.type !== type) throw notFound(`${type} channel`, name)
  if (!ch.enabled) {
    throw ruleError(
      'channel_disabled',
      `channel ${name} is disabled: ${ch.info.disabledReason ?? ''}`,
      `channels.${name}`,
    )
  }
  // `settings.type` is `info.type`: this only tells TypeScript which settings these are.
  if (!hasSettingsOf(ch, type)) throw notFound(`${type} channel`, name)
  return ch
}

function hasSettingsOf<T extends ChannelType>(ch: EnabledChannel, type: T): ch is ChannelOfType<T> {
  return ch.settings.type === type
}
