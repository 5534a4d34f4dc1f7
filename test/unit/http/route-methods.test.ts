import { describe, expect, it } from 'vitest';
import { RouteMethods } from '../../../src/http/route-methods.js';

describe('RouteMethods', () => {
  const routes = new RouteMethods();
  routes.add('POST', '/predict');
  routes.add('POST', '/models/:name/predict');
  routes.add('POST', '/models/census-income/predict');
  routes.add(['GET', 'HEAD'], '/health/live');
  routes.add('GET', '/docs/static/*');

  it('lists the methods of every pattern a path matches, sorted', () => {
    expect(routes.allowed('/predict')).toEqual(['POST']);
    expect(routes.allowed('/models/digits/predict')).toEqual(['POST']);
    expect(routes.allowed('/health/live')).toEqual(['GET', 'HEAD']);
    expect(routes.allowed('/docs/static/a/b.css')).toEqual(['GET']);
  });

  it('matches no other path: a parameter is one segment, a trailing slash is another path, dots are literal', () => {
    expect(routes.allowed('/models/a/b/predict')).toEqual([]);
    expect(routes.allowed('/predict/')).toEqual([]);
    expect(routes.allowed('/nothing')).toEqual([]);
    routes.add('GET', '/openapi.json');
    expect(routes.allowed('/openapiXjson')).toEqual([]);
  });
});
