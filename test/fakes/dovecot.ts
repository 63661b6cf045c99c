/**
 * A real IMAP server for tests: Dovecot from Debian's `dovecot-imapd`, run as a plain foreground
 * process (no systemd) with its whole config, state and maildir in a temp folder, listening on a
 * free 127.0.0.1 port with one plaintext test user. Needs root (Dovecot switches to the mail user)
 * and `/usr/sbin/dovecot`; see docs/channels/email.md and ../shared/notes/dependencies.md.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ImapFlow } from 'imapflow'

const DOVECOT_BIN = '/usr/sbin/dovecot'
const NOBODY_UID = 65534 // Debian's nobody:nogroup, the mail user of the test account
const NOGROUP_GID = 65534
const START_DEADLINE_MS = 10_000 // the port opens in well under a second; CI machines are slower
const STOP_GRACE_MS = 1_500 // Dovecot's children exit a moment after the master

export interface DovecotServer {
  host: string
  port: number
  user: string
  pass: string
  /** `imap://user:pass@host:port` for the connector's `imap.url`. */
  url: string
  /** Stores a raw RFC 5322 message in `mailbox` (default INBOX), as a delivery would. */
  append(raw: string | Buffer, mailbox?: string): Promise<void>
  /** Runs `fn` with a logged-in imapflow client (create/delete mailboxes, inspect UIDs …). */
  withClient<T>(fn: (client: ImapFlow) => Promise<T>): Promise<T>
  /** Stops and starts the server on the same port with the same mail: every session drops. */
  restart(): Promise<void>
  stop(): Promise<void>
}

/** Starts a Dovecot on a free port; throws a clear error when the package is not installed. */
export async function startDovecot(): Promise<DovecotServer> {
  if (!existsSync(DOVECOT_BIN)) {
    throw new Error(
      `${DOVECOT_BIN} is missing: the email tests need a real IMAP server. ` +
        'Install it with `apt-get install -y --no-install-recommends dovecot-imapd` (as root).',
    )
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the Dovecot test server must run as root (it switches to the mail user nobody)',
    )
  }
  const dir = await mkdtemp(join(tmpdir(), 'omnigate-dovecot-'))
  // Dovecot's login and mail processes run as other users and must reach the folders below.
  await chmod(dir, 0o755)
  const mailDir = join(dir, 'mail')
  await mkdir(mailDir)
  await chown(mailDir, NOBODY_UID, NOGROUP_GID)
  const user = 'alice'
  const pass = 'secret1'
  await writeFile(join(dir, 'users'), `${user}:{PLAIN}${pass}::::::\n`)
  const port = await freePort()
  await writeFile(join(dir, 'dovecot.conf'), dovecotConf(dir, port))

  let child: ChildProcess
  try {
    child = await launch(dir, port)
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }

  const host = '127.0.0.1'
  const withClient = async <T>(fn: (client: ImapFlow) => Promise<T>): Promise<T> => {
    const client = new ImapFlow({ host, port, secure: false, auth: { user, pass }, logger: false })
    await client.connect()
    try {
      return await fn(client)
    } finally {
      await client.logout().catch(() => client.close())
    }
  }
  return {
    host,
    port,
    user,
    pass,
    url: `imap://${user}:${pass}@${host}:${port}`,
    withClient,
    append: async (raw, mailbox = 'INBOX') => {
      await withClient((client) => client.append(mailbox, raw))
    },
    restart: async () => {
      await stopChild(child)
      child = await launch(dir, port)
    },
    stop: async () => {
      await stopChild(child)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function launch(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(DOVECOT_BIN, ['-F', '-c', join(dir, 'dovecot.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  try {
    await waitForPort(port, child)
    return child
  } catch (err) {
    child.kill('SIGKILL')
    const log = await readFile(join(dir, 'dovecot.log'), 'utf8').catch(() => '')
    throw new Error(`Dovecot did not start: ${(err as Error).message}\n${stderr}${log}`)
  }
}

function dovecotConf(dir: string, port: number): string {
  return `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:${dir}/mail/%u/Maildir
passdb {
  driver = passwd-file
  args = ${dir}/users
}
userdb {
  driver = passwd-file
  args = ${dir}/users
  default_fields = uid=nobody gid=nogroup home=${dir}/mail/%u
}
# No per-IP login penalty: one wrong-password test would delay every later login by seconds.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
protocol imap {
  mail_max_userip_connections = 100
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with code ${child.exitCode}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`port ${port} did not open within ${START_DEADLINE_MS} ms`)
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS))])
  if (child.exitCode === null) child.kill('SIGKILL')
}
