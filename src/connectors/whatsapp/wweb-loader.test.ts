import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, loadWhatsAppWeb } from './wweb-loader.js'

// The real library, loaded as the daemon loads it (ESM importing CommonJS): no browser is launched.
describe('loadWhatsAppWeb', () => {
  it('builds a real Client with LocalAuth in the session folder and the system browser', async () => {
    const wa = await loadWhatsAppWeb()
    const client = wa.clientFactory({
      dataPath: '/data/whatsapp-wa',
      clientId: 'wa',
      executablePath: '/usr/bin/chromium',
    })
    const options = (client as unknown as { options: Record<string, unknown> }).options
    expect(options.puppeteer).toMatchObject({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [...CHROMIUM_ARGS],
    })
    expect(options.authStrategy).toMatchObject({ dataPath: '/data/whatsapp-wa', clientId: 'wa' })
    expect(options.webVersionCache).toEqual({
      type: 'local',
      path: join('/data/whatsapp-wa', '.wwebjs_cache'),
    })
    expect(typeof client.initialize).toBe('function')
    expect(typeof client.getNumberId).toBe('function')
  })

  it('builds media the library accepts (an instance of its MessageMedia)', async () => {
    const wa = await loadWhatsAppWeb()
    const media = wa.mediaFactory('image/png', 'iVBORw0KGgo=', 'a.png', 8)
    const { default: lib } = await import('whatsapp-web.js')
    expect(media).toBeInstanceOf(lib.MessageMedia)
    expect(media).toMatchObject({
      mimetype: 'image/png',
      data: 'iVBORw0KGgo=',
      filename: 'a.png',
      filesize: 8,
    })
  })
})
