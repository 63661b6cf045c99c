// What the bundle gives imapflow for `socks`: its one call, loading the package then. imapflow
// imports socks for connections through a SOCKS proxy (its `proxy` option), which Omnigate never
// sets; imported as it is, the package was 0.4 MB of an idle daemon's heap. The import() makes it
// a chunk of its own, and a CommonJS package's chunk has only a default export.
export const SocksClient = {
  createConnection: async (...args) =>
    (await import('socks')).default.SocksClient.createConnection(...args),
}
