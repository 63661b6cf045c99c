/** Hash routes (`#/`, `#/new`, `#/contacts/<id>`): no server routes needed, no key in any URL. */
import { useEffect, useState } from 'preact/hooks'

export type Route = { page: 'people' } | { page: 'new' } | { page: 'contact'; id: string }

function parseRoute(hash: string): Route {
  const m = /^#\/contacts\/([\w-]+)$/.exec(hash)
  if (m?.[1]) return { page: 'contact', id: m[1] }
  if (hash === '#/new') return { page: 'new' }
  return { page: 'people' }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash))
  useEffect(() => {
    const on = (): void => setRoute(parseRoute(location.hash))
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return route
}
