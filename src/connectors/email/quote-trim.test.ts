import { describe, expect, it } from 'vitest'
import { trimQuotedReply } from './quote-trim.js'

describe('trimQuotedReply', () => {
  it.each([
    {
      name: 'Gmail: attribution line and > block at the end',
      text: 'Yes, please.\n\nOn Mon, 3 Mar 2025 at 09:00, Support <support@example.com> wrote:\n> Shall we refund?\n> Support',
      want: 'Yes, please.',
    },
    {
      name: 'attribution wrapped over two lines',
      text: 'Thanks!\n\nOn Mon, 3 Mar 2025 at 09:00, Support Team <\nsupport@example.com> wrote:\n\n> Hello\n',
      want: 'Thanks!',
    },
    {
      name: 'German client',
      text: 'Danke.\n\nAm 03.03.2025 um 09:00 schrieb Support <support@example.com>:\n> Hallo',
      want: 'Danke.',
    },
    {
      name: '> block without attribution',
      text: 'Fine by me.\n> previous\n>\n> more',
      want: 'Fine by me.',
    },
    {
      name: 'Outlook separator',
      text: 'See attached.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nHello',
      want: 'See attached.',
    },
    {
      name: 'Outlook rule over a From: line',
      text: 'Ok.\n\n________________________________\nFrom: Support <support@example.com>\nSent: Monday',
      want: 'Ok.',
    },
    {
      name: 'inline answers between quotes stay',
      text: '> Which size?\nLarge.\n> Which colour?\nBlue.',
      want: '> Which size?\nLarge.\n> Which colour?\nBlue.',
    },
    {
      name: 'a mail that is only a quote is kept whole',
      text: '> forwarded text\n> more',
      want: '> forwarded text\n> more',
    },
    {
      name: 'no quote',
      text: 'Just a question.\nTwo lines.',
      want: 'Just a question.\nTwo lines.',
    },
    {
      name: 'CRLF line ends',
      text: 'Sure.\r\n\r\nOn Tue, Support wrote:\r\n> x\r\n',
      want: 'Sure.',
    },
  ])('$name', ({ text, want }) => {
    expect(trimQuotedReply(text)).toBe(want)
  })
})
