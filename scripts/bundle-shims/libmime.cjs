// What the bundle gives every `libmime` import and require (imapflow, mailparser, and
// @zone-eu/mailsplit loaded with imapflow): the one instance of libmime's ES module build, made at
// its first use. libmime ships both builds; bundled as they are, both were loaded, each with its own
// MIME-type tables and its own iconv-lite. Made at load, that instance was some 1 MB of an idle
// daemon's heap, for an IMAP session that decodes nothing until a mail comes. Its consumers only
// read its properties (libmime.decodeWords …), and its methods, called on this proxy, read and
// write through it too.
'use strict'
let real
const instance = () => (real ??= require('../../node_modules/libmime/dist/esm/libmime.js').default)
module.exports = new Proxy(
  {},
  {
    get: (_, key) => Reflect.get(instance(), key),
    set: (_, key, value) => Reflect.set(instance(), key, value),
    has: (_, key) => Reflect.has(instance(), key),
  },
)
