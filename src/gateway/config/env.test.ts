import { describe, expect, it } from 'vitest'
import { expandString, missingSentence, substituteEnv } from './env.js'

describe('expandString', () => {
  const env = { A: 'alpha', EMPTY: '' }

  it('substitutes ${VAR} anywhere in the string', () => {
    expect(expandString('x-${A}-y', env)).toEqual({ value: 'x-alpha-y', missing: [] })
  })

  it('uses the default of ${VAR:-default} when the variable is unset or empty', () => {
    expect(expandString('${NOPE:-fallback}', env).value).toBe('fallback')
    expect(expandString('${EMPTY:-fallback}', env).value).toBe('fallback')
    expect(expandString('${A:-fallback}', env).value).toBe('alpha')
    expect(expandString('${NOPE:-}', env)).toEqual({ value: '', missing: [] })
    expect(expandString('${NOPE:-a:b}c', env).value).toBe('a:bc')
  })

  it('reports a ${VAR} without default that is unset or empty', () => {
    expect(expandString('${NOPE}', env)).toEqual({
      value: '',
      missing: [{ name: 'NOPE', empty: false }],
    })
    expect(expandString('k=${EMPTY}', env)).toEqual({
      value: 'k=',
      missing: [{ name: 'EMPTY', empty: true }],
    })
  })

  it('writes $${ as a literal ${ and leaves other dollars alone', () => {
    expect(expandString('$${A} costs $5 or $$', env).value).toBe('${A} costs $5 or $$')
  })

  it('rejects malformed references', () => {
    expect(expandString('${A', env).error).toMatch(/without a closing/)
    expect(expandString('${1A}', env).error).toMatch(/not a variable reference/)
    expect(expandString('${}', env).error).toMatch(/not a variable reference/)
    expect(expandString('${A B}', env).error).toMatch(/not a variable reference/)
  })
})

describe('substituteEnv', () => {
  it('substitutes string values at any depth, never keys, and keeps other scalars', () => {
    const r = substituteEnv(
      { '${A}': 'k', list: ['${A}', 3, true, null], deep: { x: '${NOPE}' } },
      { A: 'alpha' },
    )
    expect(r.value).toEqual({ '${A}': 'k', list: ['alpha', 3, true, null], deep: { x: '' } })
    expect(r.missing).toEqual([
      { path: ['deep', 'x'], vars: [{ name: 'NOPE', empty: false }], value: '' },
    ])
  })

  it('keeps a __proto__ key as a key', () => {
    const tree = JSON.parse('{"__proto__": {"polluted": "${A}"}}') as unknown
    const r = substituteEnv(tree, { A: 'yes' })
    expect(Object.keys(r.value as object)).toEqual(['__proto__'])
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })

  it('reports a malformed reference at its path', () => {
    expect(substituteEnv({ a: [{ b: '${' }] }, {}).findings).toEqual([
      { path: ['a', 0, 'b'], anchor: 'value', message: expect.stringMatching(/closing/) },
    ])
  })
})

describe('missingSentence', () => {
  it('names every variable', () => {
    expect(missingSentence([{ name: 'A', empty: false }])).toBe('environment variable A is not set')
    expect(
      missingSentence([
        { name: 'A', empty: false },
        { name: 'B', empty: false },
      ]),
    ).toBe('environment variables A, B are not set')
    expect(missingSentence([{ name: 'A', empty: true }])).toBe('environment variable A is empty')
  })
})
