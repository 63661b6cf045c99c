/** `GET /widget.js` on the real app: the bundle `npm run build` wrote, within its size budget. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/harness.js'

const ROOT = new URL('../../', import.meta.url).pathname
let t: TestGateway

beforeAll(async () => {
  t = await startGateway('channels: {}\n')
})
afterAll(async () => t?.close())

describe('the web chat widget script', () => {
  it('is served without a key, ≤ 30 KB gzipped, with no third-party URL in it', async () => {
    expect(existsSync(join(ROOT, 'dist/widget/widget.js')), 'run `npm run build` first').toBe(true)
    const res = await t.call('GET', '/widget.js', { key: null })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/javascript/)
    expect(res.headers.get('etag')).toBeTruthy()
    expect(gzipSync(Buffer.from(res.text)).length).toBeLessThanOrEqual(30 * 1024)
    // Everything it loads comes from the daemon it was served by (DESIGN §12).
    expect(res.text).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
    // Visitor and agent text goes in as text only.
    expect(res.text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/)
  })
})
