declare const self: ServiceWorkerGlobalScope;

/** Client ids remembered; past this the oldest are looked up again. */
const MAX_REMEMBERED = 500;

/**
 * Whether a fetch came from a window or from a Worker, by the event's `clientId`. Static routes
 * reach a page's requests but not a dedicated Worker's own (measured in Chromium 156), and a
 * `script` request can be either (a Worker's `import()` is one). Looking a client up is a round
 * trip to the browser, so each id is asked once, off the fetch's path.
 */
export class ClientKinds {
  private readonly known = new Map<string, Promise<string | null>>();

  /** The page's URL (without its fragment) when `clientId` is a window's; null for a Worker or none. */
  windowUrl(clientId: string): Promise<string | null> {
    if (clientId === '') return Promise.resolve(null);
    let kind = this.known.get(clientId);
    if (!kind) {
      if (this.known.size >= MAX_REMEMBERED) this.known.delete(this.known.keys().next().value!);
      kind = self.clients.get(clientId).then((client) => (client?.type === 'window' ? client.url.split('#')[0]! : null), () => null);
      this.known.set(clientId, kind);
    }
    return kind;
  }
}
