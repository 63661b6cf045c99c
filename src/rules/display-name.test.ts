import { describe, expect, it } from 'vitest'
import { splitDisplayName } from './display-name.js'

// [raw, first, last, display_name]
const rows: [string, string | null, string | null, string | null][] = [
  ['Wanda Maximoff', 'Wanda', 'Maximoff', 'Wanda Maximoff'],
  ['Ana', 'Ana', null, 'Ana'],
  ['  Jean-Luc   Picard ', 'Jean-Luc', 'Picard', 'Jean-Luc Picard'],
  ['Maria de la Cruz', 'Maria', 'de la Cruz', 'Maria de la Cruz'],
  ['Ana María López', 'Ana', 'María López', 'Ana María López'],
  ["Conan O'Brien", 'Conan', "O'Brien", "Conan O'Brien"],
  ['"Bo Lind"', 'Bo', 'Lind', 'Bo Lind'],
  ['Doe, Jane', 'Jane', 'Doe', 'Doe, Jane'],
  ['López,Ana', 'Ana', 'López', 'López,Ana'],
  ['Jane Doe, Jr.', 'Jane', 'Doe, Jr.', 'Jane Doe, Jr.'],
  ['Doe,', 'Doe', null, 'Doe,'],
  ['Wanda 🌹 Maximoff', 'Wanda', 'Maximoff', 'Wanda 🌹 Maximoff'],
  ['🌹 Wanda', 'Wanda', null, '🌹 Wanda'],
  ['Zoë\u00a0Kravitz', 'Zoë', 'Kravitz', 'Zoë Kravitz'],
  // Family-name-first scripts stay whole: no space to split on, or a space that would make the
  // family name the first name.
  ['山田太郎', '山田太郎', null, '山田太郎'],
  ['山田 太郎', '山田 太郎', null, '山田 太郎'],
  ['김민준', '김민준', null, '김민준'],
  ['Bob123', 'Bob123', null, 'Bob123'],
  // Not a person's name: the whole is kept, no first/last name.
  ['🌹🌹', null, null, '🌹🌹'],
  ['👩‍💻 ✨', null, null, '👩‍💻 ✨'],
  ['+49 151 1234567', null, null, '+49 151 1234567'],
  ['0151-1234567', null, null, '0151-1234567'],
  ['Tel 0151 1234567', null, null, 'Tel 0151 1234567'],
  ['ana.lopez@example.com', null, null, 'ana.lopez@example.com'],
  ['@wanda', null, null, '@wanda'],
  ['...', null, null, '...'],
  // Nothing at all.
  ['', null, null, null],
  ['   ', null, null, null],
  ['""', null, null, null],
]

describe('splitDisplayName', () => {
  it.each(rows)('%j → %j / %j (display_name %j)', (raw, firstName, lastName, displayName) => {
    expect(splitDisplayName(raw)).toEqual({ firstName, lastName, displayName })
  })
})
