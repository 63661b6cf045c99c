// What the bundle gives imapflow for `@zone-eu/mailsplit`: the two classes it uses, the package
// loaded when one is first made. imapflow makes them only to decode a downloaded part, which an
// idle IMAP session never does; mailsplit loads libmime as it loads (see libmime.cjs), so
// imported as it is, it made libmime's instance and tables at start.
const lazyClass = (load) =>
  new Proxy(function () {}, {
    construct: (_, args) => Reflect.construct(load(), args),
    get: (_, key) => Reflect.get(load(), key),
  })

export const Headers = lazyClass(() => require('@zone-eu/mailsplit').Headers)
export const FlowedDecoder = lazyClass(() => require('@zone-eu/mailsplit/lib/flowed-decoder.js'))
