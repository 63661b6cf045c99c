// What the bundle gives imapflow and libmime for `encoding-japanese`: the package, evaluated at
// its first use. Both call it only to decode ISO-2022-JP text; evaluated at load, as imported, its
// conversion tables were 0.36 MB of an idle daemon's heap. require() inside a bundle runs a
// CommonJS module's body when first called, so the tables are built with the first such mail.
'use strict'
let real
module.exports = new Proxy(
  {},
  {
    get: (_, key) => {
      real ??= require('../../node_modules/encoding-japanese/src/index.js')
      return real[key]
    },
  },
)
