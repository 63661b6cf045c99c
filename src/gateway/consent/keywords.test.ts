import { describe, expect, it } from 'vitest'
import { keywordIntent } from './keywords.js'

const rules = {
  opt_out: { keywords: ['STOP', 'ARRÊT'], resume: ['START'], confirmation: null },
}

describe('keywordIntent: the whole trimmed message, any letter case', () => {
  it.each([
    ['STOP', 'opted_out'],
    ['stop', 'opted_out'],
    ['  Stop\n', 'opted_out'],
    ['arrêt', 'opted_out'],
    ['start', 'opted_in'],
  ])('%j → %s', (text, status) => {
    expect(keywordIntent(rules, text)?.status).toBe(status)
  })

  it.each(["please don't STOP sending", 'STOP!', 'STOP STOP', 'stopp', '', '   '])(
    '%j is not a keyword',
    (text) => {
      expect(keywordIntent(rules, text)).toBeNull()
    },
  )

  it('answers nothing when the rule is off or there is no text', () => {
    expect(keywordIntent({ opt_out: null }, 'STOP')).toBeNull()
    expect(keywordIntent(rules, null)).toBeNull()
  })
})
