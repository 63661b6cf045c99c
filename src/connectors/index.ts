/**
 * The connector factory: one entry per channel type. Each SDK is loaded with a dynamic import only
 * when a channel of that type is configured and enabled, so a daemon without WhatsApp Web never
 * loads puppeteer, and idle memory stays small.
 */
import type { ChannelType, Connector, ConnectorDeps } from './types.js'

export * from './types.js'
export { CHANNEL_LIMITS } from './limits.js'
export { CHANNEL_CAPABILITIES } from './capabilities.js'

type Settings = Record<string, unknown>

export async function createConnector(
  type: ChannelType,
  deps: ConnectorDeps,
  settings: Settings,
): Promise<Connector> {
  switch (type) {
    case 'webhook': {
      const m = await import('./webhook/index.js')
      return m.createWebhookConnector(
        deps,
        settings as unknown as Parameters<typeof m.createWebhookConnector>[1],
      )
    }
    case 'telegram': {
      const m = await import('./telegram/index.js')
      return m.createTelegramConnector(
        deps,
        settings as unknown as Parameters<typeof m.createTelegramConnector>[1],
      )
    }
    case 'line': {
      const m = await import('./line/index.js')
      return m.createLineConnector(
        deps,
        settings as unknown as Parameters<typeof m.createLineConnector>[1],
      )
    }
    case 'whatsapp-cloud': {
      const m = await import('./whatsapp-cloud/index.js')
      return m.createWhatsAppCloudConnector(
        deps,
        settings as unknown as Parameters<typeof m.createWhatsAppCloudConnector>[1],
      )
    }
    case 'email': {
      const m = await import('./email/index.js')
      return m.createEmailConnector(
        deps,
        settings as unknown as Parameters<typeof m.createEmailConnector>[1],
      )
    }
    case 'whatsapp': {
      const m = await import('./whatsapp/index.js')
      return m.createWhatsAppConnector(
        deps,
        settings as unknown as Parameters<typeof m.createWhatsAppConnector>[1],
      )
    }
    case 'webpush': {
      const m = await import('./webpush/index.js')
      return m.createWebPushConnector(
        deps,
        settings as unknown as Parameters<typeof m.createWebPushConnector>[1],
        deps.templateTitle ? { templateTitle: deps.templateTitle } : {},
      )
    }
  }
}
