import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { findChromium } from './chromium.js'

const root = mkdtempSync(join(tmpdir(), 'omnigate-chromium-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function file(dir: string, name: string, mode: number): string {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, name)
  writeFileSync(path, '#!/bin/sh\n')
  chmodSync(path, mode)
  return path
}

describe('findChromium', () => {
  it('uses chromium_path when it is an executable file', () => {
    const path = file(join(root, 'opt'), 'my-chrome', 0o755)
    expect(findChromium(path, '')).toEqual({ path })
  })

  it('names chromium_path when the configured file is missing or not executable', () => {
    const plain = file(join(root, 'noexec'), 'chromium', 0o644)
    for (const configured of [join(root, 'missing'), plain, root]) {
      const found = findChromium(configured, process.env.PATH)
      expect(found).toEqual({ error: expect.stringContaining('chromium_path') })
    }
  })

  it('finds the first usual name on PATH, skipping non-executables', () => {
    const a = join(root, 'a')
    const b = join(root, 'b')
    file(a, 'chromium', 0o644)
    const expected = file(b, 'chromium-browser', 0o755)
    file(b, 'google-chrome', 0o755)
    expect(findChromium(undefined, [a, '', b].join(delimiter))).toEqual({ path: expected })
  })

  it('says to set chromium_path when nothing is on PATH', () => {
    expect(findChromium(undefined, join(root, 'empty'))).toEqual({
      error: expect.stringContaining('set chromium_path'),
    })
    expect(findChromium('', undefined)).toEqual({ error: expect.stringContaining('chromium_path') })
  })
})
