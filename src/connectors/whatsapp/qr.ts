/**
 * Renders the pairing QR when the `qrcode` package is installed: a data: URL PNG for
 * `GET /v1/channels` and a small terminal drawing for the log. Without it the raw QR string is all
 * we have (any QR generator turns it into the image). The package is looked up at run time, so
 * adding it to package.json is the only step needed to get images.
 */

interface QrCodeModule {
  toDataURL(
    text: string,
    opts?: { errorCorrectionLevel?: string; margin?: number },
  ): Promise<string>
  toString(text: string, opts?: { type?: string; small?: boolean }): Promise<string>
}

export interface RenderedQr {
  /** `data:image/png;base64,…`, when `qrcode` is installed. */
  dataUrl?: string
  /** A terminal drawing for the log, when `qrcode` is installed. */
  terminal?: string
}

// A variable specifier keeps TypeScript from requiring the package at compile time.
const QRCODE_PACKAGE = 'qrcode'
let loaded: Promise<QrCodeModule | null> | undefined

function loadQrCode(): Promise<QrCodeModule | null> {
  loaded ??= import(QRCODE_PACKAGE).then(
    (mod: { default?: QrCodeModule } & Partial<QrCodeModule>) =>
      typeof mod.toDataURL === 'function' ? (mod as QrCodeModule) : (mod.default ?? null),
    () => null,
  )
  return loaded
}

/** Renders `text`; an empty result when no renderer is installed or rendering fails. */
export async function renderQr(text: string): Promise<RenderedQr> {
  const qrcode = await loadQrCode()
  if (qrcode === null) return {}
  try {
    const [dataUrl, terminal] = await Promise.all([
      qrcode.toDataURL(text, { errorCorrectionLevel: 'L', margin: 2 }),
      qrcode.toString(text, { type: 'terminal', small: true }),
    ])
    return { dataUrl, terminal }
  } catch {
    return {}
  }
}
