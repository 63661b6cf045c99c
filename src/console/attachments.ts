/** Files picked in a form → the API's inline attachments (base64). */
export interface AttachmentInput {
  filename: string
  content_type: string
  data: string
}

export async function readAttachments(list: FileList | null): Promise<AttachmentInput[]> {
  const out: AttachmentInput[] = []
  for (const f of Array.from(list ?? [])) {
    const bytes = new Uint8Array(await f.arrayBuffer())
    let bin = ''
    for (let i = 0; i < bytes.length; i += 0x8000) {
      bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
    }
    out.push({
      filename: f.name,
      content_type: f.type || 'application/octet-stream',
      data: btoa(bin),
    })
  }
  return out
}
