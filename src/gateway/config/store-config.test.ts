import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkConfig, loadConfig } from './load.js'
import { ConfigError, type ConfigIssue } from './types.js'

const dir = mkdtempSync(join(tmpdir(), 'omnigate-store-config-'))
let n = 0

function write(lines: string[]): string {
  const file = join(dir, `c${n++}.yaml`)
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

function issuesOf(lines: string[], env: NodeJS.ProcessEnv = {}): ConfigIssue[] {
  try {
    loadConfig(write(lines), { env })
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return (e as ConfigError).issues
  }
  throw new Error('the config loaded')
}

const where = (issues: ConfigIssue[]) => issues.map((i) => [i.line, i.col, i.path])

describe('store.postgres (DESIGN §10)', () => {
  it('takes the URL from the environment, with a pool of 10 by default', () => {
    const config = loadConfig(write(['store:', '  postgres: { url: "${DATABASE_URL}" }']), {
      env: { DATABASE_URL: 'postgres://app:s3cret@db.internal:5432/omnigate' },
    })
    expect(config.store.postgres).toEqual({
      url: 'postgres://app:s3cret@db.internal:5432/omnigate',
      pool: 10,
    })
    // The data folder stays (sessions, keys): the default one.
    expect(config.store.data_dir).toMatch(/data$/)
  })

  it('is null when the file names only SQLite (or no store at all)', () => {
    expect(loadConfig(write(['server: {}']), { env: {} }).store.postgres).toBeNull()
    expect(loadConfig(write(['store: { sqlite: x.db }']), { env: {} }).store.postgres).toBeNull()
  })

  it('sqlite and postgres both set: an error at postgres naming both keys', () => {
    const issues = issuesOf([
      'store:',
      '  sqlite: ./data/omnigate.db',
      '  postgres: { url: "postgres://db/omnigate", pool: 4 }',
    ])
    expect(where(issues)).toEqual([[3, 3, 'store.postgres']])
    expect(issues[0]?.message).toMatch(/store\.sqlite.*store\.postgres/)
  })

  it('a URL of another scheme, a bad pool: errors at each key, the URL never quoted', () => {
    const issues = issuesOf([
      'store:',
      '  postgres:',
      '    url: "mysql://app:hunter2@db/omnigate"',
      '    pool: 0',
    ])
    expect(where(issues)).toEqual([
      [3, 10, 'store.postgres.url'],
      [4, 11, 'store.postgres.pool'],
    ])
    expect(issues.map((i) => i.message).join('\n')).not.toMatch(/hunter2|mysql/)
  })

  it('a missing url is an error; a missing variable names the variable', () => {
    expect(where(issuesOf(['store:', '  postgres: { pool: 3 }']))).toEqual([
      [2, 3, 'store.postgres.url'],
    ])
    const issues = issuesOf(['store:', '  postgres: { url: "${DATABASE_URL}" }'])
    expect(issues.map((i) => i.message).join('\n')).toMatch(/DATABASE_URL/)
  })

  it('check-config shows the URL with its password masked', () => {
    const r = checkConfig(write(['store:', '  postgres: { url: "${DATABASE_URL}", pool: 3 }']), {
      DATABASE_URL: 'postgres://app:s3cret@db.internal/omnigate',
    })
    expect(r.ok).toBe(true)
    expect(r.text).toContain('store PostgreSQL postgres://app:***@db.internal/omnigate (pool 3)')
    expect(r.text).not.toContain('s3cret')
  })
})
