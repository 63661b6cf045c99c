import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AttachmentFetchError, fetchAttachment } from './fetch-attachment.js'
import { isPrivateAddress } from './private-address.js'
import type { HostLookup } from './url-guard.js'

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')
let server: Server
let port: number
const hits: string[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/'
    hits.push(path)
    if (path === '/file.png') {
      res.writeHead(200, { 'content-type': 'image/png' }).end(PNG)
    } else if (path === '/report') {
      res
        .writeHead(200, {
          'content-type': 'application/pdf; name=x',
          'content-disposition': `attachment; filename="plain.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf`,
        })
        .end('%PDF-1.4')
    } else if (path === '/big') {
      res.writeHead(200, { 'content-length': '5000' }).end(Buffer.alloc(5000))
    } else if (path === '/big-chunked') {
      res.writeHead(200) // no content-length: only counting while reading catches it
      for (let i = 0; i < 10; i++) res.write(Buffer.alloc(500))
      res.end()
    } else if (path === '/to-loopback') {
      res.writeHead(302, { location: `http://127.0.0.2:${port}/secret` }).end()
    } else if (path === '/to-inside') {
      res.writeHead(307, { location: `http://inside.test:${port}/secret` }).end()
    } else if (path === '/to-file') {
      res.writeHead(301, { location: '/file.png' }).end()
    } else if (path.startsWith('/loop')) {
      res.writeHead(302, { location: `/loop${path.length}` }).end()
    } else if (path === '/hang') {
      // never answers: the deadline must end it
    } else {
      res.writeHead(404).end('nope')
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  port = (server.address() as AddressInfo).port
})

afterAll(() => {
  server.closeAllConnections()
  server.close()
})

/** `files.test` is known to this resolver only: reaching it proves the connection was pinned. */
const lookup: HostLookup = (host) => {
  if (host === 'files.test') return Promise.resolve(['127.0.0.1'])
  if (host === 'inside.test') return Promise.resolve(['10.0.0.7'])
  return Promise.reject(new Error(`ENOTFOUND ${host}`))
}
/** The real policy, except that this test's server counts as public. */
const isForbidden = (ip: string) => ip !== '127.0.0.1' && isPrivateAddress(ip)
const opts = { allowPrivate: false, maxBytes: 1000, timeoutMs: 2000, lookup, isForbidden }

async function failure(p: Promise<unknown>): Promise<AttachmentFetchError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AttachmentFetchError)
  return err as AttachmentFetchError
}

describe('fetchAttachment', () => {
  it('refuses a loopback URL by default, before connecting', async () => {
    const before = hits.length
    const err = await failure(
      fetchAttachment(`http://127.0.0.1:${port}/file.png`, { ...opts, isForbidden: undefined }),
    )
    expect(err.code).toBe('url_forbidden')
    expect(hits.length).toBe(before)
  })

  it('fetches from a local server when private URLs are allowed', async () => {
    const got = await fetchAttachment(`http://127.0.0.1:${port}/file.png`, {
      allowPrivate: true,
      maxBytes: 1000,
      timeoutMs: 2000,
    })
    expect(got).toEqual({ data: PNG, contentType: 'image/png', filename: 'file.png' })
  })

  it('connects to the addresses it checked (pinned), not to a fresh DNS answer', async () => {
    const got = await fetchAttachment(`http://files.test:${port}/file.png`, opts)
    expect(got.data.equals(PNG)).toBe(true)
  })

  it('names the file from Content-Disposition (filename* first), type sans params', async () => {
    const got = await fetchAttachment(`http://files.test:${port}/report`, opts)
    expect(got.filename).toBe('Résumé.pdf')
    expect(got.contentType).toBe('application/pdf')
  })

  it('refuses a body over maxBytes, declared or counted', async () => {
    expect((await failure(fetchAttachment(`http://files.test:${port}/big`, opts))).code).toBe(
      'too_large',
    )
    const chunked = await failure(fetchAttachment(`http://files.test:${port}/big-chunked`, opts))
    expect(chunked.code).toBe('too_large')
  })

  it('follows a redirect and checks it again', async () => {
    const got = await fetchAttachment(`http://files.test:${port}/to-file`, opts)
    expect(got.data.equals(PNG)).toBe(true)
  })

  it('refuses a redirect to a loopback address', async () => {
    const before = hits.length
    const err = await failure(fetchAttachment(`http://files.test:${port}/to-loopback`, opts))
    expect(err.code).toBe('url_forbidden')
    expect(hits.slice(before)).toEqual(['/to-loopback'])
  })

  it('refuses a redirect to a host that resolves inside', async () => {
    const err = await failure(fetchAttachment(`http://files.test:${port}/to-inside`, opts))
    expect(err.code).toBe('url_forbidden')
  })

  it('gives up after 3 redirects', async () => {
    const before = hits.length
    const err = await failure(fetchAttachment(`http://files.test:${port}/loop`, opts))
    expect(err.code).toBe('fetch_failed')
    expect(hits.length - before).toBe(4) // the first request and 3 redirects
  })

  it('fails on a non-2xx answer', async () => {
    const err = await failure(fetchAttachment(`http://files.test:${port}/missing`, opts))
    expect(err.code).toBe('fetch_failed')
    expect(hits).toContain('/missing')
  })

  it('times out on a server that never answers', async () => {
    const err = await failure(
      fetchAttachment(`http://files.test:${port}/hang`, { ...opts, timeoutMs: 200 }),
    )
    expect(err.code).toBe('fetch_failed')
    expect(hits).toContain('/hang') // it got as far as the server, then the deadline ended it
  })

  it('stops when the caller aborts', async () => {
    const ctl = new AbortController()
    const url = `http://files.test:${port}/hang`
    const pending = fetchAttachment(url, { ...opts, signal: ctl.signal })
    setTimeout(() => ctl.abort(), 50)
    expect((await failure(pending)).code).toBe('fetch_failed')
  })

  it('refuses a non-http URL and a host nobody knows', async () => {
    expect((await failure(fetchAttachment('file:///etc/passwd', opts))).code).toBe('url_invalid')
    expect((await failure(fetchAttachment('http://nowhere.test/x', opts))).code).toBe(
      'fetch_failed',
    )
  })
})
