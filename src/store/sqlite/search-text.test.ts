import { describe, expect, it } from 'vitest'
import { contactSearchText, matchQuery, phoneForms } from './search-text.js'

describe('matchQuery', () => {
  it.each([
    ['ana', '"ana"*'],
    ['  Ana   Lee ', '"Ana"* AND "Lee"*'],
    ['ana@exa', '"ana@exa"*'],
    ['+49 170 1234', '"491701234"*'],
    ['(0170) 12-34', '"01701234"*'],
    ['say "hi"', '"say"* AND "hi"*'],
    ['AND(', '"AND("*'],
    ['a b c d e f g h i j', '"a"* AND "b"* AND "c"* AND "d"* AND "e"* AND "f"* AND "g"* AND "h"*'],
  ])('%j → %s', (q, expected) => {
    expect(matchQuery(q)).toBe(expected)
  })

  it.each([undefined, '', '   ', '"', '*', '""*', '-- ++', '\u0000'])(
    '%j has nothing to search: no text filter',
    (q) => {
      expect(matchQuery(q)).toBeNull()
    },
  )
})

describe('search text', () => {
  it('indexes a phone in international, national and trunk-prefixed digits', () => {
    expect(phoneForms('+49 170 1234567')).toBe('491701234567 1701234567 01701234567')
    expect(phoneForms('+14155550123')).toBe('14155550123 4155550123 04155550123')
    expect(phoneForms('0170 1234')).toBe('01701234 1701234')
    expect(contactSearchText({ first_name: 'A' })).toEqual({
      first_name: 'A',
      last_name: null,
      email: null,
      phone: null,
    })
  })
})
