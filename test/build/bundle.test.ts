/**
 * The daemon's bundle (scripts/bundle.mjs), built afresh into a temp folder: what bin/omnigate.js
 * runs. Checks what the footprint relies on (connector SDKs outside main.js, ASCII source), what
 * users rely on (the CLI runs from it; stack traces name src/ lines) and the trap a bundle sets
 * for lazily imported CommonJS packages.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = new URL('../../', import.meta.url).pathname

describe('the bundle (scripts/bundle.mjs)', () => {
  let out: string
  let files: Map<string, string>

  beforeAll(() => {
    // Inside the checkout: the bundle loads its external packages from node_modules.
    mkdirSync(join(ROOT, 'dist'), { recursive: true })
    out = mkdtempSync(join(ROOT, 'dist', 'bundle-test-'))
    execFileSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), out], { stdio: 'pipe' })
    files = new Map()
    for (const dir of ['', 'chunks']) {
      for (const name of readdirSync(join(out, dir)).filter((n) => n.endsWith('.js')))
        files.set(join(dir, name), readFileSync(join(out, dir, name), 'latin1'))
    }
  }, 60_000)
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it('leaves each connector SDK and the PostgreSQL driver out of main.js, in chunks of their own', () => {
    const main = files.get('main.js') ?? ''
    // A string of each package's own code that ours never writes.
    const markers = {
      grammy: 'api.telegram.org',
      '@line/bot-sdk': 'api.line.me',
      imapflow: 'IDLE',
      pg: 'SCRAM-SHA-256',
      'web-push': 'aes128gcm',
    }
    for (const [pkg, marker] of Object.entries(markers)) {
      expect(main.includes(marker), `${pkg} in main.js`).toBe(false)
      const chunks = [...files].filter(
        ([name, text]) => name !== 'main.js' && text.includes(marker),
      )
      expect(chunks.length, `${pkg} in a chunk`).toBeGreaterThan(0)
    }
  })

  it('gives only node-fetch the whatwg-url shim (the URL of Node itself)', () => {
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as {
      inputs: Record<string, { imports: { path: string; original?: string }[] }>
    }
    const importers = Object.entries(meta.inputs)
      .filter(([, i]) => i.imports.some((m) => m.original === 'whatwg-url'))
      .map(([file]) => file)
    expect(importers.length).toBeGreaterThan(0)
    for (const file of importers) expect(file).toMatch(/node_modules\/node-fetch\//)
    expect(Object.keys(meta.inputs).some((f) => f.includes('node_modules/tr46/'))).toBe(false)
  })

  it('is ASCII (V8 keeps one byte per character of its source)', () => {
    for (const [name, text] of files) expect(/[^\x00-\x7f]/.test(text), name).toBe(false)
  })

  it('runs the CLI', () => {
    const code = `const { main } = await import(${JSON.stringify(join(out, 'main.js'))});
      process.exitCode = await main(['check-config', '--config', 'gateway.config.yaml'])`
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: ROOT,
      encoding: 'utf8',
    })
    expect(stdout).toMatch(/^ok: .*gateway\.config\.yaml$/m)
  })

  it('maps a position in main.js back to its line in src/', () => {
    const main = files.get('main.js') ?? ''
    const map = new SourceMap(JSON.parse(readFileSync(join(out, 'main.js.map'), 'utf8')))
    // keepNames writes each function's name as a string beside it.
    const at = main.indexOf('"releaseYoungGenerationUnderLoad"')
    expect(at).toBeGreaterThan(0)
    const before = main.slice(0, at).split('\n')
    const entry = map.findEntry(before.length - 1, (before.at(-1) ?? '').length) as {
      originalSource?: string
      originalLine?: number
    }
    expect(entry.originalSource).toMatch(/src\/(main|gateway\/young-generation)\.ts$/)
    // Packages' code maps to nothing: only our sources are listed.
    expect(
      (
        JSON.parse(readFileSync(join(out, 'main.js.map'), 'utf8')) as { sources: string[] }
      ).sources.some((s) => s.includes('node_modules')),
    ).toBe(false)
  })

  it('names src/ lines in stack traces through stack-traces.js, as bin/omnigate.js installs it', () => {
    // An argv whose first read throws: the frame below the getter is main() in main.js.
    const code = `const dir = new URL(${JSON.stringify(`file://${out}/`)})
      const { mapStackTraces } = await import(new URL('stack-traces.js', dir).href)
      mapStackTraces(dir)
      const { main } = await import(new URL('main.js', dir).href)
      const argv = new Proxy([], { get() { throw new Error('probe') } })
      const e = await main(argv).catch((e) => e)
      process.stdout.write(e.stack)`
    const stack = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: ROOT,
      encoding: 'utf8',
    })
    const lines = stack.split('\n')
    expect(lines[0]).toBe('Error: probe')
    const frame = /^ {4}at main \((.+):(\d+):(\d+)\)$/.exec(lines[2] ?? '')
    expect(frame?.[1]).toBe(join(ROOT, 'src/main.ts'))
    // The line that reads argv.
    const line = readFileSync(join(ROOT, 'src/main.ts'), 'utf8').split('\n')[Number(frame?.[2]) - 1]
    expect(line).toMatch(/= argv\b/)
    // A frame outside the bundle keeps its own position.
    expect(lines[1]).toMatch(/^ {4}at Object\.get \(.*:\d+:\d+\)$/)
    expect(lines[1]).not.toContain('/src/')
  })

  it("holds zod's English locale only (scripts/bundle-shims/zod-locales.mjs)", () => {
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as {
      inputs: Record<string, unknown>
    }
    const locales = Object.keys(meta.inputs).filter((f) =>
      f.includes('node_modules/zod/v4/locales/'),
    )
    expect(locales).toEqual(['node_modules/zod/v4/locales/en.js'])
  })

  it('holds one copy of libmime and of iconv-lite, and mail parses through them', () => {
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as {
      inputs: Record<string, unknown>
      outputs: Record<string, { entryPoint?: string }>
    }
    const inputs = Object.keys(meta.inputs)
    expect(inputs.filter((f) => f.includes('node_modules/libmime/dist/cjs/'))).toEqual([])
    const iconvCopies = new Set(
      inputs.map((f) => /^(.*node_modules\/iconv-lite)\//.exec(f)?.[1]).filter(Boolean),
    )
    expect(iconvCopies.size).toBe(1)
    // mailsplit requires libmime (the shim) to decode headers; iconv-lite decodes the body.
    const [chunk] = Object.entries(meta.outputs).find(([, o]) =>
      o.entryPoint?.startsWith('node_modules/mailparser/'),
    ) ?? ['']
    expect(chunk).not.toBe('')
    const mail = [
      'From: =?ISO-8859-1?Q?J=F6rg?= <j@example.com>',
      'Subject: =?UTF-8?B?R3LDvMOfZQ==?=',
      'Content-Type: text/plain; charset=windows-1252',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Caf=E9 =80 5',
      '',
    ].join('\r\n')
    // A Shift_JIS body (iconv-lite's table files beside the chunks) with an ISO-2022-JP subject
    // (encoding-japanese, evaluated at first use); both say 日本語.
    const japanese = [
      'From: j@example.com',
      'Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=',
      'Content-Type: text/plain; charset=Shift_JIS',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      '=93=FA=96=7B=8C=EA',
      '',
    ].join('\r\n')
    const script = `const { simpleParser } = await import(${JSON.stringify(join(ROOT, chunk))});
      const out = []
      for (const mail of ${JSON.stringify([mail, japanese])}) {
        const m = await simpleParser(Buffer.from(mail, 'latin1'));
        out.push([m.from.value[0].name, m.subject, m.text.trim()])
      }
      process.stdout.write(JSON.stringify(out))`
    const outText = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    })
    expect(JSON.parse(outText)).toEqual([
      ['Jörg', 'Grüße', 'Café € 5'],
      ['', '日本語', '日本語'],
    ])
  })

  it("keeps iconv-lite's double-byte tables out of the chunks' source, in files beside them", () => {
    const tables = readdirSync(join(out, 'chunks', 'iconv-tables'))
    expect(tables).toContain('shiftjis.json')
    for (const [name, text] of files) {
      // A run of cp936.json's first row, as it would be written into a chunk.
      expect(text.includes('"8140","'), name).toBe(false)
      expect(text.includes('["8140",'), name).toBe(false)
    }
  })

  it("leaves out of the email connector's start what an idle IMAP session never runs", () => {
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as {
      inputs: Record<string, { imports: { path: string; original?: string }[] }>
    }
    const shims = (pkg: string): string[] =>
      Object.entries(meta.inputs)
        .filter(([file]) => file.includes('node_modules/imapflow/'))
        .flatMap(([, i]) => i.imports.filter((m) => m.original === pkg).map((m) => m.path))
    // socks only with a proxy, mailsplit only for download(): each through its shim.
    expect(shims('socks')).toEqual(['scripts/bundle-shims/socks.mjs'])
    expect(new Set(shims('@zone-eu/mailsplit'))).toEqual(
      new Set(['scripts/bundle-shims/mailsplit.mjs']),
    )
    expect(new Set(shims('libmime'))).toEqual(new Set(['scripts/bundle-shims/libmime.cjs']))
    // What the email connector loads with it: its chunk and the chunks that one imports statically.
    // nodemailer's mailer comes with the first send, socks with a proxy (neither, here).
    const [email = '', text = ''] = [...files].find(([name]) => /^chunks\/email-/.test(name)) ?? []
    const loaded = [
      email,
      ...[...text.matchAll(/import\s*(?:\{[^}]*\}\s*from\s*)?"\.\/([^"]+)"/g)].map(
        (m) => `chunks/${m[1] ?? ''}`,
      ),
    ]
    expect(loaded.length).toBeGreaterThan(1)
    for (const name of loaded) {
      const source = files.get(name) ?? ''
      expect(source.includes('Non existing method'), `nodemailer's mailer in ${name}`).toBe(false)
      expect(source.includes('Invalid SOCKS proxy details'), `socks in ${name}`).toBe(false)
    }
  })

  it('never takes named exports of a chunk that has only a default one (a CommonJS package)', () => {
    const defaultOnly = new Set(
      [...files]
        .filter(([, text]) =>
          /export default [^;]*;?\s*(\/\/# sourceMappingURL=\S+\s*)?$/.test(text),
        )
        .filter(([, text]) => !/export\s*\{/.test(text))
        .map(([name]) => name.replace(/^chunks\//, '')),
    )
    expect(defaultOnly.size).toBeGreaterThan(0) // undici's, at least
    const bad: string[] = []
    for (const [name, text] of files) {
      for (const m of text.matchAll(
        /\{[^{}]*\}\s*=\s*await import\("\.\/(?:chunks\/)?([^"]+)"\)/g,
      )) {
        if (m[1] && defaultOnly.has(m[1])) bad.push(`${name}: ${m[0]}`)
      }
    }
    expect(bad).toEqual([])
  })
})
