/** Phone numbers for generated contacts and sends: valid, unique, spread like real ones. */

/** German mobile prefixes: numbers spread over them as real ones are, not all on one. */
const MOBILE = (
  '1511 1512 1515 1516 1517 1520 1522 1523 1525 1570 1573 1575 1577 1578 1590 ' +
  '160 162 163 170 171 172 173 174 175 176 177 178 179'
).split(' ')

/** The n-th phone number in E.164: a valid German mobile number, unique per n < 10⁷. */
export function phoneOf(n) {
  const prefix = MOBILE[n % MOBILE.length]
  // 7919 is coprime with 10: n → n·7919 mod 10^k is one-to-one, and scatters the digits.
  const digits = 11 - prefix.length
  const sub = String((n * 7919) % 10 ** digits).padStart(digits, '0')
  return `+49${prefix}${sub}`
}
