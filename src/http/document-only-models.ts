import { ModelNotFoundError } from '../errors.js';
import type { HttpModels } from './server.js';

/**
 * A registry that serves nothing, for a server built only to produce its
 * OpenAPI document: every route is registered, no model runs.
 */
export function documentOnlyModels(defaultModel: string): HttpModels {
  const nothingLoaded = (name: string | undefined): never => {
    throw new ModelNotFoundError(name ?? defaultModel);
  };
  return {
    resolve: nothingLoaded,
    index: async () => [],
    load: async (name) => nothingLoaded(name),
    unload: async (name) => nothingLoaded(name),
    get: () => undefined,
    list: () => [],
    live: () => true,
    ready: () => false,
  };
}
