/**
 * P1's reference: a bare hono "hello" server on @hono/node-server (the same HTTP stack as the
 * daemon), in its own process, measured with the same load in the same run.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { serveIpc } from './lib/proc.mjs'

const app = new Hono()
app.get('/', (c) => c.text('hello'))

const server = await new Promise((resolve) => {
  const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
})
serveIpc({ ready: () => ({ url: `http://127.0.0.1:${server.address().port}/` }) })
