// whatsapp-web.js depends on puppeteer; package.json overrides it with puppeteer-core, which has no
// download step. This file keeps any puppeteer that still gets installed from fetching a browser:
// Omnigate drives Debian's Chromium (`chromium_path`).
module.exports = { skipDownload: true }
