/** The configured channels (`GET /v1/channels`), read once per page. */
import { useEffect, useState } from 'preact/hooks'
import { api } from './api.js'
import type { Channel } from './types.js'

export function useChannels(): Channel[] {
  const [channels, setChannels] = useState<Channel[]>([])
  useEffect(() => {
    api<{ items: Channel[] }>('GET', '/v1/channels')
      .then((r) => setChannels(r.items))
      .catch(() => setChannels([]))
  }, [])
  return channels
}
