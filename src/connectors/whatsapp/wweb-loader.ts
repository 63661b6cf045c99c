/**
 * Loads whatsapp-web.js (and with it puppeteer) on demand, so a daemon without a WhatsApp channel
 * never loads a browser driver. The library is CommonJS: from ESM only the default import works at
 * run time (`import wa from …; const { Client } = wa`).
 */
import { join } from 'node:path'
import type { WhatsAppClientFactory, WhatsAppMediaFactory } from './client-like.js'

/**
 * Chromium flags for a headless server. `--no-sandbox`: the sandbox needs user namespaces that
 * containers and root shells usually lack; `--disable-dev-shm-usage`: Docker's 64 MB /dev/shm makes
 * tabs crash; the rest keep a long-running headless browser from doing needless work.
 * @internal exported for tests
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-setuid-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-extensions',
  '--no-first-run',
  '--no-default-browser-check',
]

export interface WhatsAppWeb {
  clientFactory: WhatsAppClientFactory
  mediaFactory: WhatsAppMediaFactory
}

/** Imports the real library and returns factories for its `Client` and `MessageMedia`. */
export async function loadWhatsAppWeb(): Promise<WhatsAppWeb> {
  const wa = (await import('whatsapp-web.js')).default
  const { Client, LocalAuth, MessageMedia } = wa
  return {
    clientFactory: (o) =>
      new Client({
        authStrategy: new LocalAuth({ dataPath: o.dataPath, clientId: o.clientId }),
        // The library's default caches WhatsApp Web's HTML in ./.wwebjs_cache of the working
        // directory; keep it in the session folder instead, with the rest of the state.
        webVersionCache: { type: 'local', path: join(o.dataPath, '.wwebjs_cache') },
        puppeteer: { headless: true, executablePath: o.executablePath, args: [...CHROMIUM_ARGS] },
      }),
    mediaFactory: (mimetype, base64, filename, filesize) =>
      new MessageMedia(mimetype, base64, filename, filesize),
  }
}
