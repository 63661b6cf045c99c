/**
 * A tiny element builder. Text goes in with `textContent` only: visitor and agent text is never
 * parsed as HTML (a message `<img src=x onerror=…>` shows those characters).
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  for (const k of Object.keys(attrs)) e.setAttribute(k, attrs[k] ?? '')
  for (const c of children) e.append(typeof c === 'string' ? document.createTextNode(c) : c)
  return e
}
