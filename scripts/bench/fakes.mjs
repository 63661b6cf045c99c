/**
 * Platform fakes for P5 (idle footprint with every non-WhatsApp connector on), in their own process
 * (forked, IPC). They answer only the start-up and idle traffic of each connector, enough for it to
 * reach `connected` and stay there:
 *   - one HTTP server for the Telegram Bot API (getMe; getUpdates long-polled until its timeout),
 *     LINE (`/v2/bot/info`) and the Graph API (the phone number object);
 *   - an SMTP server (smtp-server, as the email connector's outgoing server; it only verifies);
 *   - a minimal IMAP4rev1 server: login, SELECT an empty INBOX, SEARCH, IDLE until DONE.
 * The test suites' fakes (test/fakes/) are TypeScript and richer; these are the few lines a
 * stand-alone bench needs. IPC: `ready` → {http, smtpPort, imapPort}.
 */
import { createServer } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import { once } from 'node:events'
import { SMTPServer } from 'smtp-server'
import { serveIpc } from './lib/proc.mjs'

const json = (res, status, body) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json' }).end(text)
}

const http = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://x')
    const tg = /^\/bot[^/]+\/(\w+)$/.exec(url.pathname)
    if (tg) {
      const method = tg[1]
      if (method === 'getMe') {
        return json(res, 200, {
          ok: true,
          result: { id: 1, is_bot: true, first_name: 'Bench', username: 'bench_bot' },
        })
      }
      if (method === 'getUpdates') {
        // Long poll: nothing new, answered when the poll's own timeout runs out.
        const chunks = []
        req.on('data', (c) => chunks.push(c))
        const timer = setTimeout(() => json(res, 200, { ok: true, result: [] }), 25_000)
        res.on('close', () => clearTimeout(timer))
        return
      }
      return json(res, 200, { ok: true, result: true })
    }
    if (url.pathname === '/v2/bot/info') {
      return json(res, 200, {
        userId: 'U0123456789abcdef0123456789abcdef',
        basicId: '@bench',
        displayName: 'Bench',
        chatMode: 'bot',
        markAsReadMode: 'auto',
      })
    }
    if (/^\/v\d+\.\d+\/\d+$/.test(url.pathname)) {
      return json(res, 200, {
        display_phone_number: '+1 555 0100',
        verified_name: 'Bench',
        id: url.pathname.split('/')[2],
      })
    }
    json(res, 404, { error: 'not faked' })
  })
})
http.listen(0, '127.0.0.1')
await once(http, 'listening')

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, done) {
    stream.resume()
    stream.on('end', () => done())
  },
})
await new Promise((resolve) => smtp.listen(0, '127.0.0.1', resolve))

/** Answers one IMAP command line; returns false when the connection should close. */
function imapCommand(socket, state, line) {
  if (state.idleTag) {
    if (line.trim().toUpperCase() === 'DONE') {
      socket.write(`${state.idleTag} OK IDLE terminated\r\n`)
      state.idleTag = null
    }
    return true
  }
  const [tag, rawCmd = '', sub = ''] = line.split(' ')
  const cmd = rawCmd.toUpperCase()
  const w = (s) => socket.write(`${s}\r\n`)
  switch (cmd === 'UID' ? sub.toUpperCase() : cmd) {
    case 'CAPABILITY':
      w('* CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN')
      break
    case 'ID':
      w('* ID NIL')
      break
    case 'NAMESPACE':
      w('* NAMESPACE (("" "/")) NIL NIL')
      break
    case 'LIST':
      w('* LIST () "/" INBOX')
      break
    case 'SELECT':
    case 'EXAMINE':
      w('* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)')
      w('* 0 EXISTS')
      w('* 0 RECENT')
      w('* OK [UIDVALIDITY 1] UIDs valid')
      w('* OK [UIDNEXT 1] Predicted next UID')
      return (w(`${tag} OK [READ-WRITE] ${cmd} completed`), true)
    case 'SEARCH':
      w('* SEARCH')
      break
    case 'IDLE':
      state.idleTag = tag
      return (w('+ idling'), true)
    case 'LOGOUT':
      w('* BYE logging out')
      w(`${tag} OK LOGOUT completed`)
      return false
    default:
      break
  }
  w(`${tag} OK ${cmd} completed`)
  return true
}

const imap = createTcpServer((socket) => {
  const state = { idleTag: null, buffer: '' }
  socket.on('error', () => socket.destroy())
  socket.write('* OK [CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN] bench IMAP ready\r\n')
  socket.on('data', (chunk) => {
    state.buffer += chunk.toString('utf8')
    let i
    while ((i = state.buffer.indexOf('\r\n')) >= 0) {
      const line = state.buffer.slice(0, i)
      state.buffer = state.buffer.slice(i + 2)
      if (!imapCommand(socket, state, line)) return void socket.end()
    }
  })
})
imap.listen(0, '127.0.0.1')
await once(imap, 'listening')

serveIpc({
  ready: () => ({
    http: `http://127.0.0.1:${http.address().port}`,
    smtpPort: smtp.server.address().port,
    imapPort: imap.address().port,
  }),
})
