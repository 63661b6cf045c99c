import { describe, expect, it } from 'vitest'
import type { ContactRecord } from '../store/types.js'
import { contactNamePatch, inboundNames, type InboundNames } from './inbound-names.js'

const contact = (c: Partial<ContactRecord>): ContactRecord => ({
  id: 'ct_1',
  first_name: null,
  last_name: null,
  email: null,
  phone: null,
  external_id: null,
  attributes: {},
  version: 0,
  blocked: false,
  created_at: '2024-01-01T00:00:00.000Z',
  updated_at: '2024-01-01T00:00:00.000Z',
  last_activity_at: '2024-01-01T00:00:00.000Z',
  ...c,
})

describe('inboundNames', () => {
  it.each([
    [{ address: 'a', displayName: 'Wanda Maximoff' }, ['Wanda', 'Maximoff', 'Wanda Maximoff']],
    [{ address: 'a', firstName: 'Ana', lastName: 'Lima' }, ['Ana', 'Lima', null]],
    [{ address: 'a', firstName: 'Ana', displayName: 'Ana L' }, ['Ana', null, null]],
    [{ address: 'a', displayName: '🌹' }, [null, null, '🌹']],
    [{ address: 'a' }, [null, null, null]],
  ] as const)('%j', (from, [firstName, lastName, displayName]) => {
    expect(inboundNames(from)).toEqual({ firstName, lastName, displayName })
  })
})

describe('contactNamePatch', () => {
  const wanda: InboundNames = { firstName: 'Wanda', lastName: 'Maximoff', displayName: 'Wanda M' }

  it('fills both names and display_name on a contact without a name, keeping other attributes', () => {
    expect(contactNamePatch(contact({ attributes: { tier: 'gold' } }), wanda)).toEqual({
      first_name: 'Wanda',
      last_name: 'Maximoff',
      attributes: { tier: 'gold', display_name: 'Wanda M' },
    })
  })

  it.each([
    ['a first name', { first_name: 'Wendy' }],
    ['only a last name', { last_name: 'Smith' }],
  ])('never touches the names of a contact with %s', (_, names) => {
    expect(contactNamePatch(contact(names), wanda)).toEqual({
      attributes: { display_name: 'Wanda M' },
    })
  })

  it('writes nothing when nothing changes', () => {
    const same = contact({ first_name: 'W', attributes: { display_name: 'Wanda M' } })
    expect(contactNamePatch(same, wanda)).toBeNull()
    expect(
      contactNamePatch(contact({}), { firstName: null, lastName: null, displayName: null }),
    ).toBeNull()
  })
})
