import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { STATUS_CODES } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { SHARED_COMPONENTS } from './error-body.js';

/** Route schema key listing extra headers of a response, by status: `{ 200: ['x-model-version'] }`. */
export const RESPONSE_HEADERS_KEY = 'x-response-headers';

/** Every response header the gateway sends, as documented. */
const HEADERS: Readonly<Record<string, { readonly description: string; readonly schema: Readonly<Record<string, unknown>> }>> = {
  'x-request-id': { description: 'The correlation id: the one sent, or a new one', schema: { type: 'string' } },
  'x-model-version': { description: 'The model version that answered (it changes when the model is reloaded)', schema: { type: 'string' } },
  'retry-after': { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } },
  'www-authenticate': { description: 'The scheme to authenticate with: Bearer (the admin token)', schema: { type: 'string' } },
};

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description: string;
  /** Every tag the routes use, with what it groups (Swagger UI shows them as sections). */
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  /** Whether the admin routes are served: only then is the bearer scheme declared (Swagger UI's Authorize button). */
  readonly admin: boolean;
}

/** The registry of named component schemas one server documents (its own: servers in one process never share ids). */
export type SchemaRegistry = z.core.$ZodRegistry<{ id?: string | undefined; description?: string | undefined }>;

type Meta = { id?: string | undefined; description?: string | undefined };

/** Metadata a schema has in this registry, else what `.describe()` gave it (zod's global registry). */
class WithGlobalMetadata extends WeakMap<z.core.$ZodType, Meta> {
  override get(schema: z.core.$ZodType): Meta | undefined {
    return super.get(schema) ?? (z.globalRegistry._map.get(schema) as Meta | undefined);
  }
  override has(schema: z.core.$ZodType): boolean {
    return super.has(schema) || z.globalRegistry._map.has(schema);
  }
}

export function createSchemaRegistry(): SchemaRegistry {
  const registry: SchemaRegistry = z.registry<Meta>();
  // Descriptions are given with `.describe()`, which records them in zod's
  // global registry: a document built from this one must still carry them.
  registry._map = new WithGlobalMetadata();
  for (const [schema, id] of SHARED_COMPONENTS) nameComponent(registry, schema, id);
  return registry;
}

/** Names `schema` as the component `id` in this server's document, keeping what `.describe()` and `.meta()` gave it. */
export function nameComponent(registry: SchemaRegistry, schema: z.ZodType, id: string, description?: string): void {
  const { id: _global, ...meta } = (z.globalRegistry.get(schema) ?? {}) as Meta & Record<string, unknown>;
  registry.add(schema, { ...meta, id, ...(description === undefined ? {} : { description }) });
}

/**
 * The OpenAPI 3.1 document of the server, from its routes' zod schemas:
 * schemas named in `registry` become components, referenced from every route
 * (one type per model in a generated client), and response headers are declared.
 */
export async function registerOpenApi(app: FastifyInstance, registry: SchemaRegistry, info: OpenApiInfo): Promise<void> {
  const toComponents = createJsonSchemaTransformObject({ schemaRegistry: registry });
  const { tags, admin, ...about } = info;
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: about,
      tags: [...tags],
      ...(admin ? { components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The admin token (--admin-token)' } } } } : {}),
    },
    transform: createJsonSchemaTransform({ schemaRegistry: registry }),
    transformObject: (document) => describeResponses(declareHeaders(mergeInputComponents(toComponents(document) as OpenApiDocument))),
  });
}

interface OpenApiDocument {
  components?: { schemas?: Record<string, unknown> };
  paths?: Record<string, Record<string, Operation>>;
  [key: string]: unknown;
}

interface Operation {
  responses?: Record<string, { headers?: Record<string, unknown>; description?: string }>;
  [RESPONSE_HEADERS_KEY]?: Record<string, readonly string[]>;
}

/**
 * fastify-type-provider-zod names every component twice, `X` as answered
 * and `XInput` as accepted, though for our schemas they are the same: keep
 * one name per schema (else a generated client has two identical classes)
 * unless the two really differ.
 */
function mergeInputComponents(document: OpenApiDocument): OpenApiDocument {
  const schemas = document.components?.schemas;
  if (!schemas) return document;
  const renamed = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    const base = answerName(name);
    if (base === undefined || !(base in schemas)) continue;
    if (!isDeepStrictEqual(rewriteRefs(schemas[name], renamed), rewriteRefs(schemas[base], renamed))) continue;
    renamed.set(`#/components/schemas/${name}`, `#/components/schemas/${base}`);
  }
  // A second pass: a component equal to its base only once its own refs are renamed.
  for (const name of Object.keys(schemas)) {
    const base = answerName(name);
    if (base === undefined || !(base in schemas) || renamed.has(`#/components/schemas/${name}`)) continue;
    if (isDeepStrictEqual(rewriteRefs(schemas[name], renamed), rewriteRefs(schemas[base], renamed))) renamed.set(`#/components/schemas/${name}`, `#/components/schemas/${base}`);
  }
  const merged = rewriteRefs(document, renamed) as OpenApiDocument;
  const components = merged.components!.schemas!;
  for (const ref of renamed.keys()) delete components[ref.slice('#/components/schemas/'.length)];
  // A schema used only in answers (or only in requests) was named both ways: drop the name nothing refers to.
  for (let pruned = true; pruned; ) {
    pruned = false;
    const used = referencedComponents(merged);
    for (const name of Object.keys(components)) {
      const twin = answerName(name) ?? `${name}Input`;
      if (twin in components && !used.has(name)) {
        delete components[name];
        pruned = true;
      }
    }
  }
  // A schema used only in requests, and different from its answer form, is left with only its `Input` name: give it its own.
  const alone = new Map<string, string>();
  for (const name of Object.keys(components)) {
    const base = answerName(name);
    if (base !== undefined && !(base in components)) alone.set(`#/components/schemas/${name}`, `#/components/schemas/${base}`);
  }
  if (alone.size === 0) return merged;
  const named = rewriteRefs(merged, alone) as OpenApiDocument;
  named.components!.schemas = Object.fromEntries(Object.entries(named.components!.schemas!).map(([name, schema]) => [alone.get(`#/components/schemas/${name}`)?.slice('#/components/schemas/'.length) ?? name, schema]));
  return named;
}

/** The answer form's name of a component named as accepted (`XInput` → `X`); `undefined` for an answer form. */
function answerName(name: string): string | undefined {
  return name.endsWith('Input') ? name.slice(0, -'Input'.length) : undefined;
}

/** Components some `$ref` outside their own definition points at. */
function referencedComponents(document: OpenApiDocument): Set<string> {
  const used = new Set<string>();
  const walk = (value: unknown, owner: string | undefined): void => {
    if (Array.isArray(value)) for (const item of value) walk(item, owner);
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')) {
          const name = child.slice('#/components/schemas/'.length);
          if (name !== owner) used.add(name);
        } else walk(child, owner);
      }
    }
  };
  for (const [key, child] of Object.entries(document)) if (key !== 'components') walk(child, undefined);
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) walk(schema, name);
  return used;
}

function rewriteRefs(value: unknown, renamed: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, renamed));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) out[key] = key === '$ref' && typeof child === 'string' ? (renamed.get(child) ?? child) : rewriteRefs(child, renamed);
  return out;
}

/** Every response carries `x-request-id`; every 503 `retry-after`; every 401 `www-authenticate`; a route adds its own by status. */
function declareHeaders(document: OpenApiDocument): OpenApiDocument {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      const extra = operation[RESPONSE_HEADERS_KEY] ?? {};
      delete operation[RESPONSE_HEADERS_KEY];
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const names = ['x-request-id', ...(status === '503' || status === '429' ? ['retry-after'] : []), ...(status === '401' ? ['www-authenticate'] : []), ...(extra[status] ?? [])];
        response.headers = { ...response.headers, ...Object.fromEntries(names.map((name) => [name, HEADERS[name]])) };
      }
    }
  }
  return document;
}

/** A response documented without a description is named by its status ("OK", "Service Unavailable"), not "Default Response". */
function describeResponses(document: OpenApiDocument): OpenApiDocument {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (response.description === undefined || response.description === 'Default Response') response.description = STATUS_CODES[Number(status)] ?? status;
      }
    }
  }
  return document;
}
