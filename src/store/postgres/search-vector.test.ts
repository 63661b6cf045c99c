import { describe, expect, it } from 'vitest'
import { contactSearchVector, searchQuery, tokens } from './search-vector.js'

describe('PostgreSQL search text (FTS5 unicode61 remove_diacritics semantics)', () => {
  it.each([
    ['Ána Müller', ['ana', 'muller']],
    ['ana.maria@example.com', ['ana', 'maria', 'example', 'com']],
    ['JOSÉ-Łukasz O’Brien', ['jose', 'łukasz', 'o', 'brien']],
    ['İstanbul', ['istanbul']],
    ['  +49 (170) 12-34 ', ['49', '170', '12', '34']],
  ])('tokens(%j)', (text, expected) => {
    expect(tokens(text)).toEqual(expected)
  })

  it('writes each field at its own positions, phone digit forms included', () => {
    expect(
      contactSearchVector({ first_name: 'Ana Ana', email: 'ana@x.io', phone: '+491701234567' }),
    ).toBe(
      "'ana':1,2,2001 'x':2002 'io':2003 '491701234567':3001 '1701234567':3002 '01701234567':3003",
    )
    expect(contactSearchVector({})).toBe('')
  })

  it.each([
    ['ana', "'ana':*"],
    ['  Ana   Lee ', "('ana':*) & ('lee':*)"],
    ['ana.maria@exa', "'ana' <-> 'maria' <-> 'exa':*"],
    ['+49 170 1234', "'491701234':*"],
    ['JOSÉ', "'jose':*"],
    ["o'brien", "'o' <-> 'brien':*"],
    ['say "hi"', "('say':*) & ('hi':*)"],
    ['AND(', "'and':*"],
  ])('searchQuery(%j) = %s', (q, expected) => {
    expect(searchQuery(q)).toBe(expected)
  })

  it.each([undefined, '', '   ', '"', '*', '""*', '-- ++', '\u0000'])(
    '%j has nothing to search',
    (q) => {
      expect(searchQuery(q)).toBeNull()
    },
  )
})
