import type { Manifest } from '../model/manifest.js';

/** What one document is built from: the served models' manifests, in name order. */
const keyOf = (manifests: readonly Manifest[]): string => JSON.stringify([...manifests].sort((a, b) => a.name.localeCompare(b.name)));

/**
 * The OpenAPI document of the models served now. Fastify's routes and the
 * swagger document are fixed when the server starts, so once a model is
 * loaded, unloaded or reloaded at another version through the repository API,
 * the document is built again, for the models served then, by a server that
 * is never started (`rebuild`), once per change of what is served.
 */
export class LiveOpenApi {
  readonly #startKey: string;
  readonly #atStart: () => unknown;
  readonly #rebuild: (manifests: readonly Manifest[]) => Promise<unknown>;
  #cached: { readonly key: string; readonly document: Promise<unknown> } | undefined;

  constructor(documented: readonly Manifest[], atStart: () => unknown, rebuild: (manifests: readonly Manifest[]) => Promise<unknown>) {
    this.#startKey = keyOf(documented);
    this.#atStart = atStart;
    this.#rebuild = rebuild;
  }

  async document(served: readonly Manifest[]): Promise<unknown> {
    const key = keyOf(served);
    if (key === this.#startKey) return this.#atStart();
    if (this.#cached?.key !== key) {
      const document = this.#rebuild(served);
      this.#cached = { key, document };
      // A failed build is not cached: the next request tries again.
      document.catch(() => {
        if (this.#cached?.document === document) this.#cached = undefined;
      });
    }
    return this.#cached.document;
  }
}
