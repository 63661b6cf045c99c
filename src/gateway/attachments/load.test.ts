import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiError } from '../errors.js'
import { loadAttachments, type LoadOptions } from './load.js'

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')
let server: Server
let base: string

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/file.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG)
    else if (req.url === '/big') res.writeHead(200).end(Buffer.alloc(5000))
    else res.writeHead(404).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => {
  server.close()
})

const opts = (o: Partial<LoadOptions> = {}): LoadOptions => ({
  maxBytes: 1000,
  checkBase64: true,
  allowPrivate: true,
  ...o,
})

/** The API error a load ends with: its code and the field it names. */
async function failure(p: Promise<unknown>): Promise<{ code: string; field: unknown }> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  )
  if (!(e instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(e)}`)
  return { code: e.code, field: e.details?.['field'] }
}

describe('loadAttachments', () => {
  it('reads inline base64 and URLs in order, with their sizes', async () => {
    const got = await loadAttachments(
      [
        {
          filename: 'a.txt',
          content_type: 'text/plain',
          data: Buffer.from('hi').toString('base64'),
        },
        { filename: 'b.png', content_type: 'image/png', url: `${base}/file.png` },
      ],
      opts(),
    )
    expect(got.map((a) => [a.filename, a.size, a.data.toString('hex')])).toEqual([
      ['a.txt', 2, Buffer.from('hi').toString('hex')],
      ['b.png', PNG.length, PNG.toString('hex')],
    ])
  })

  it('refuses data that is not base64 when asked to check, naming the attachment', async () => {
    const items = [{ filename: 'x', content_type: 'text/plain', data: 'not base64!' }]
    expect(await failure(loadAttachments(items, opts()))).toEqual({
      code: 'invalid_field',
      field: 'attachments[0].data',
    })
    await expect(loadAttachments(items, opts({ checkBase64: false }))).resolves.toHaveLength(1)
  })

  it('answers url_forbidden for a private address unless private URLs are allowed', async () => {
    const items = [{ filename: 'x.png', content_type: 'image/png', url: `${base}/file.png` }]
    expect(await failure(loadAttachments(items, opts({ allowPrivate: false })))).toEqual({
      code: 'url_forbidden',
      field: 'attachments[0].url',
    })
  })

  it('answers attachment_unavailable for a file over the cap or a URL that fails', async () => {
    const big = [{ filename: 'big', content_type: 'application/octet-stream', url: `${base}/big` }]
    expect((await failure(loadAttachments(big, opts()))).code).toBe('attachment_unavailable')
    const gone = [
      { filename: 'a', content_type: 'text/plain', data: '' },
      { filename: 'b', content_type: 'text/plain', url: `${base}/gone` },
    ]
    expect(await failure(loadAttachments(gone, opts()))).toEqual({
      code: 'attachment_unavailable',
      field: 'attachments[1].url',
    })
  })
})
