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
    const script = `const { simpleParser } = await import(${JSON.stringify(join(ROOT, chunk))});
      const m = await simpleParser(Buffer.from(${JSON.stringify(mail)}));
      process.stdout.write(JSON.stringify([m.from.value[0].name, m.subject, m.text.trim()]))`
    const outText = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    })
    expect(JSON.parse(outText)).toEqual(['Jörg', 'Grüße', 'Café € 5'])
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
