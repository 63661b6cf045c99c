import { describe, expect, it } from 'vitest'
import { contact } from './fixtures.test-helper.js'
import { renderTemplate, renderText, type RenderContext } from './render.js'

const ana = contact({
  first_name: 'Ana',
  last_name: null,
  attributes: {
    plan: { name: 'Pro', seats: 5 },
    vip: true,
    'tier.flat': 'gold',
    note: '',
    list: [1],
  },
})
const ctx = (...variables: Record<string, string>[]): RenderContext => ({ variables, contact: ana })

type Want = string | { missing: string }
const none: RenderContext = { variables: [], contact: null }

// [case, text, context, rendered text or the variable reported missing]
const rows: [string, string, RenderContext, Want][] = [
  ['contact field', 'Hi {{first_name}}', ctx(), 'Hi Ana'],
  ['whitespace inside braces', 'Hi {{  first_name  }}!', ctx(), 'Hi Ana!'],
  ['default unused', 'Hi {{first_name|there}}', ctx(), 'Hi Ana'],
  ['default for a null field', 'Hi {{ last_name | friend }}', ctx(), 'Hi friend'],
  ['empty default', 'Hi{{last_name|}}.', ctx(), 'Hi.'],
  ['default with spaces inside', '{{x|dear customer}}', ctx(), 'dear customer'],
  ['request variable wins over contact', '{{first_name}}', ctx({ first_name: 'Bo' }), 'Bo'],
  ['first source wins', '{{s}}', ctx({ s: 'template' }, { s: 'request' }), 'template'],
  ['empty request variable falls through', '{{first_name}}', ctx({ first_name: '' }), 'Ana'],
  ['empty value takes the default', '{{note|none}}', ctx(), 'none'],
  ['nested attribute', '{{plan.name}} x{{plan.seats}}', ctx(), 'Pro x5'],
  ['boolean attribute', '{{vip}}', ctx(), 'true'],
  ['flat dotted attribute key', '{{tier.flat}}', ctx(), 'gold'],
  ['object attribute is not a value', '{{plan}}', ctx(), { missing: 'plan' }],
  ['array attribute is not a value', '{{list|-}}', ctx(), '-'],
  ['missing without default', 'Hi {{first_name}}, {{status}}', ctx(), { missing: 'status' }],
  ['first missing is named', '{{a}} {{b}}', ctx(), { missing: 'a' }],
  ['prototype keys are not values', '{{constructor}}', ctx(), { missing: 'constructor' }],
  ['not a snippet stays literal', 'a {{ }} b {{first name}}', ctx(), 'a {{ }} b {{first name}}'],
  ['values are not re-rendered', '{{x}}', ctx({ x: '{{first_name}}' }), '{{first_name}}'],
  ['no contact', '{{first_name|there}}', none, 'there'],
]

describe('renderText', () => {
  it.each(rows)('%s', (_case, text, c, want) => {
    const expected =
      typeof want === 'string' ? { ok: true, text: want } : { ok: false, variable: want.missing }
    expect(renderText(text, c)).toMatchObject(expected)
  })

  it('reports the value each variable took', () => {
    expect(renderText('{{first_name}} {{last_name|-}} {{first_name}}', ctx())).toEqual({
      ok: true,
      text: 'Ana - Ana',
      values: { first_name: 'Ana', last_name: '-' },
    })
  })
})

describe('renderTemplate', () => {
  const def = {
    title: 'Update for {{first_name}}',
    text: 'Your refund is {{status}}.',
    signature: '— {{agent|Support}}',
  }

  it('joins title, body and signature with blank lines, each rendered', () => {
    expect(renderTemplate(def, ctx({ status: 'approved' }))).toEqual({
      ok: true,
      text: 'Update for Ana\n\nYour refund is approved.\n\n— Support',
      values: { first_name: 'Ana', status: 'approved', agent: 'Support' },
    })
  })

  it('leaves out an absent title and signature', () => {
    const r = renderTemplate({ title: null, text: 'Body', signature: '' }, ctx())
    expect(r).toMatchObject({ ok: true, text: 'Body' })
  })

  it('names a variable missing from the signature', () => {
    const r = renderTemplate({ ...def, signature: '{{agent}}' }, ctx({ status: 'x' }))
    expect(r).toEqual({ ok: false, variable: 'agent' })
  })
})
