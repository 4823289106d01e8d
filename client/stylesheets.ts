/**
 * Swaps a changed stylesheet in place, as Vite does: every `<link rel=stylesheet>` of `url`
 * gets a fresh copy (a query makes the URL new, so nothing cached answers it; the worker asks
 * the relay), and the old one is removed once the new one has loaded, so the page never
 * shows unstyled. Returns false when the page links no stylesheet at `url`.
 */
export function swapStylesheet(url: string, hash: string): boolean {
  const links = [...document.querySelectorAll<HTMLLinkElement>('link[rel~="stylesheet"]')]
    .filter((link) => link.href.split(/[?#]/)[0] === url);
  for (const link of links) {
    const fresh = link.cloneNode() as HTMLLinkElement;
    fresh.href = `${url}?modrelay=${hash.slice(0, 16)}`;
    const done = () => link.remove();
    fresh.addEventListener('load', done, { once: true });
    fresh.addEventListener('error', done, { once: true });
    link.after(fresh);
  }
  return links.length > 0;
}
