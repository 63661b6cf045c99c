/**
 * What a new user does with the document: generate TypeScript types with openapi-typescript, write
 * a small client with openapi-fetch (send a message, read it, search contacts, eligibility, start a
 * thread, start a bulk), compile it with `tsc --strict`, and run it against the gateway. The client
 * reads `data.id` and `data.status` of a send: that only compiles when the document describes the
 * answer — shown by compiling the same client against the document with its 2xx bodies removed.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const ROOT = new URL('../../', import.meta.url).pathname

/** The client a user would write (≈ 30 lines), against the generated `api.ts`. */
const CLIENT = `import createClient from 'openapi-fetch'
import type { paths } from './api.js'

export async function scenario(key: string, fetch: (r: Request) => Promise<Response>) {
  const api = createClient<paths>({ baseUrl: 'http://127.0.0.1:8080', fetch, headers: { Authorization: \`Bearer \${key}\` } })
  const created = await api.POST('/v1/contacts', { body: { first_name: 'Ana', identities: [{ channel: 'sms', address: '+491701234567' }] } })
  if (!created.data) throw new Error(created.error.error.code)
  const contactId: string = created.data.id
  const sent = await api.POST('/v1/messages', {
    params: { header: { 'Idempotency-Key': 'order-1234' } },
    body: { contact_id: contactId, channel: 'sms', text: 'Hello {{first_name}}' },
  })
  if (!sent.data) throw new Error(sent.error.error.code)
  if ('dry_run' in sent.data) throw new Error('not a dry run')
  const id: string = sent.data.id
  const status: 'queued' = sent.data.status
  const read = await api.GET('/v1/messages/{id}', { params: { path: { id } } })
  const history: string[] = read.data?.status_history.map((h) => h.status) ?? []
  const found = await api.GET('/v1/contacts', { params: { query: { q: 'ana', limit: 10 } } })
  const names = found.data?.items.map((c) => c.first_name) ?? []
  const eligibility = await api.GET('/v1/contacts/{id}/eligibility', { params: { path: { id: contactId } } })
  const canSend = eligibility.data?.channels.map((c) => [c.channel, c.can_send, c.allowed_kinds])
  const thread = await api.POST('/v1/threads', { body: { contact_id: contactId, channel: 'sms' } })
  const threadError: string | undefined = thread.error?.error.code
  const bulk = await api.POST('/v1/bulk', { body: { contact_ids: [contactId], channel: 'sms', text: 'Sale!' } })
  if (!bulk.data || 'dry_run' in bulk.data) throw new Error('bulk not started')
  const progress: number = bulk.data.checked + bulk.data.counts.queued
  return { id, status, history, names, canSend, threadError, bulk: bulk.data.status, progress }
}
`

let t: TestGateway
let dir: string
let doc: OpenAPI3

beforeAll(async () => {
  t = await startGateway(`channels:
  sms:
    type: webhook
    url: http://127.0.0.1:9/relay
    secret: relay-secret
    address: phone
`)
  doc = (await t.call('GET', '/v1/openapi.json', { key: null })).body as OpenAPI3
  dir = mkdtempSync(join(tmpdir(), 'omnigate-client-'))
  // The client resolves openapi-fetch and @types/node like a project of its own would.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'client.ts'), CLIENT)
})
afterAll(async () => {
  await t?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  types: [],
  skipLibCheck: true,
}

/** Library files parsed once for both compiles (lib.dom alone is ≈ 1 MB of declarations). */
const parsed = new Map<string, ts.SourceFile>()

function compilerHost(): ts.CompilerHost {
  const host = ts.createCompilerHost(OPTIONS)
  const read = host.getSourceFile.bind(host)
  host.getSourceFile = (name, version, onError, fresh) => {
    if (name.startsWith(`${dir}/`) && !name.includes('/node_modules/')) {
      return read(name, version, onError, fresh)
    }
    let file = parsed.get(name)
    if (!file) {
      file = read(name, version, onError, fresh)
      if (file) parsed.set(name, file)
    }
    return file
  }
  return host
}

/** Writes `api.ts` generated from `document`, then compiles the client: its diagnostics. */
async function compileAgainst(document: OpenAPI3): Promise<{ line: string; text: string }[]> {
  const types = astToString(await openapiTS(document, { silent: true }))
  writeFileSync(join(dir, 'api.ts'), types)
  const program = ts.createProgram([join(dir, 'client.ts')], OPTIONS, compilerHost())
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const pos =
      d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null
    const line = d.file && pos ? (d.file.text.split('\n')[pos.line] ?? '') : ''
    return { line: line.trim(), text: ts.flattenDiagnosticMessageText(d.messageText, '\n') }
  })
}

describe('a client generated from /v1/openapi.json', () => {
  it('compiles under tsc --strict with typed answers, and runs against the gateway', async () => {
    expect(await compileAgainst(doc)).toEqual([])
    const js = ts.transpileModule(CLIENT, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText
    writeFileSync(join(dir, 'client.mjs'), js)
    const client = (await import(pathToFileURL(join(dir, 'client.mjs')).href)) as {
      scenario(key: string, fetch: (r: Request) => Promise<Response>): Promise<unknown>
    }
    const out = await client.scenario(KEYS.shop, async (r) => t.gw.app.fetch(r))
    expect(out).toMatchObject({
      status: 'queued',
      history: ['queued'],
      names: ['Ana'],
      canSend: [['sms', true, ['text', 'attachments']]],
      threadError: 'thread_conflict',
      bulk: 'running',
    })
  })

  it('does not compile against a document that leaves the 2xx bodies out (as it once did)', async () => {
    const bare = structuredClone(doc) as OpenAPI3 & {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
    }
    for (const item of Object.values(bare.paths)) {
      for (const op of Object.values(item)) {
        for (const status of Object.keys(op.responses)) {
          if (status.startsWith('2')) op.responses[status] = { description: 'OK' }
        }
      }
    }
    const errors = await compileAgainst(bare)
    expect(errors.map((e) => e.line)).toContain('const id: string = sent.data.id')
  })
})
