/**
 * The connector factory: one entry per channel type. Each SDK is loaded with a dynamic import only
 * when a channel of that type is configured and enabled, so a daemon without WhatsApp Web never
 * loads puppeteer, and idle memory stays small.
 */
import type { EmailSettings } from './email/settings.js'
import type { LineSettings } from './line/settings.js'
import type { TelegramSettings } from './telegram/settings.js'
import type { Connector, ConnectorDeps } from './types.js'
import type { WebchatSettings } from './webchat/settings.js'
import type { WebhookSettings } from './webhook/settings.js'
import type { WebPushSettings } from './webpush/settings.js'
import type { WhatsAppCloudSettings } from './whatsapp-cloud/settings.js'
import type { WhatsAppSettings } from './whatsapp/settings.js'

export * from './types.js'

/**
 * One channel's settings, as its connector's schema (`<type>/settings.ts`) outputs them plus the
 * `timeout_ms` the config adds; `type` tells them apart.
 */
export type ChannelSettings =
  | TelegramSettings
  | LineSettings
  | WhatsAppCloudSettings
  | WhatsAppSettings
  | EmailSettings
  | WebPushSettings
  | WebhookSettings
  | WebchatSettings

/** Builds the connector of the channel `settings.type` names; no I/O until `start()`. */
export async function createConnector(
  deps: ConnectorDeps,
  settings: ChannelSettings,
): Promise<Connector> {
  switch (settings.type) {
    case 'webhook': {
      const m = await import('./webhook/index.js')
      return m.createWebhookConnector(deps, settings)
    }
    case 'telegram': {
      const m = await import('./telegram/index.js')
      return m.createTelegramConnector(deps, settings)
    }
    case 'line': {
      const m = await import('./line/index.js')
      return m.createLineConnector(deps, settings)
    }
    case 'whatsapp-cloud': {
      const m = await import('./whatsapp-cloud/index.js')
      return m.createWhatsAppCloudConnector(deps, settings)
    }
    case 'email': {
      const m = await import('./email/index.js')
      return m.createEmailConnector(deps, settings)
    }
    case 'whatsapp': {
      const m = await import('./whatsapp/index.js')
      return m.createWhatsAppConnector(deps, settings)
    }
    case 'webpush': {
      const m = await import('./webpush/index.js')
      return m.createWebPushConnector(
        deps,
        settings,
        deps.templateTitle ? { templateTitle: deps.templateTitle } : {},
      )
    }
    case 'webchat': {
      const m = await import('./webchat/index.js')
      return m.createWebchatConnector(deps, settings)
    }
  }
}
