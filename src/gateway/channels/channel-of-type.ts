/** The channel a channel-specific endpoint names (`/v1/channels/{name}/…`), checked for its type. */
import type { ChannelType } from '../../connectors/types.js'
import type { ChannelConfig } from '../config/types.js'
import { notFound, ruleError } from '../errors.js'
import type { Services } from '../services.js'

/** The enabled channel `name` of `type`: 404 when there is none, 422 when it is disabled. */
export function channelOfType(svc: Services, name: string, type: ChannelType): ChannelConfig {
  const ch = svc.config().channels[name]
  if (!ch || ch.info.type !== type) throw notFound(`${type} channel`, name)
  if (!ch.info.enabled) {
    throw ruleError(
      'channel_disabled',
      `channel ${name} is disabled: ${ch.info.disabledReason ?? ''}`,
      `channels.${name}`,
    )
  }
  return ch
}
