// The one DOM helper every screen builds with. It sets attributes and listeners only: never
// innerHTML, so nothing the relay or a coordinator sends can become markup.

export type Child = Node | string | null | undefined | false;
type Attr = string | boolean | ((e: Event) => void);

/** `h('button', { type: 'button', onclick: f }, 'Send')`; `false`/null children are skipped. */
export function h(tag: string, attrs: Record<string, Attr> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false) el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

/**
 * Attributes of every field that holds what the visitor types: no spellcheck (Chrome's
 * enhanced spellcheck sends text to a server), no autocorrect or autocapitalize (phone
 * keyboards learn the words), no autocomplete (the browser would keep the value); `dir=auto`
 * so text in another script than the interface's is typed in its own direction.
 */
export const PRIVATE_FIELD = { spellcheck: 'false', autocorrect: 'off', autocapitalize: 'off', autocomplete: 'off', dir: 'auto' } as const;

/** Appends the children that are present (screens return optional parts as null). */
export function append(el: Element, children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
}
