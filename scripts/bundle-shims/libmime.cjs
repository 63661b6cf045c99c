// What the bundle gives `require('libmime')` (@zone-eu/mailsplit, loaded with imapflow): the one
// instance of libmime's ES module build, which imapflow and mailparser import. libmime ships both
// builds; bundled as they are, both were loaded, each with its own MIME-type tables and its own
// iconv-lite. The CommonJS build exports that same instance (`module.exports = exports.default`),
// so the package's consumers see the same object either way.
'use strict'
module.exports = require('../../node_modules/libmime/dist/esm/libmime.js').default
