/**
 * What a fetched attachment is called and what it is, from the answer's headers: the names become
 * stored file names, so only a bare, printable last segment survives.
 */

/** The media type of a `Content-Type` value (`image/png`), parameters dropped. */
export function mediaType(value: string | undefined): string | null {
  const essence = value?.split(';')[0]?.trim().toLowerCase()
  return essence ? essence : null
}

function cleanFilename(name: string): string | null {
  // Keep the last segment only and drop control characters: it becomes a stored file's name.

  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim()
  return base === '' || base === '.' || base === '..' ? null : base
}

/** From `Content-Disposition` (`filename*` first, then `filename`), else the URL's last segment. */
export function filenameOf(disposition: string | undefined, url: URL): string | null {
  if (disposition) {
    const star = /filename\*\s*=\s*(?:[\w-]+)?'[^']*'([^;]+)/i.exec(disposition)
    if (star?.[1]) {
      try {
        const name = cleanFilename(decodeURIComponent(star[1].trim()))
        if (name) return name
      } catch {
        // a malformed percent-escape: fall through to the plain form
      }
    }
    const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/i.exec(disposition)
    const name = cleanFilename((plain?.[1] ?? plain?.[2] ?? '').trim())
    if (name) return name
  }
  try {
    return cleanFilename(decodeURIComponent(url.pathname))
  } catch {
    return cleanFilename(url.pathname)
  }
}
