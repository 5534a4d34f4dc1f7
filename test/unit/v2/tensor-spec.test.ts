import { describe, expect, it } from 'vitest';
import { loadModelSpec } from '../../../src/model/manifest.js';
import { acceptsDatatype, tensorSpecs } from '../../../src/v2/tensor-spec.js';
import { DIGITS_INPUT, TOY_INPUT } from '../../helpers/fake-v2-models.js';
import { CENSUS_MODEL_DIR } from '../../helpers/paths.js';

describe('tensor metadata from the manifest declaration', () => {
  it('maps each scalar field to a [-1] tensor of its type', () => {
    expect(tensorSpecs(TOY_INPUT).map(({ name, datatype, shape, required }) => ({ name, datatype, shape, required }))).toEqual([
      { name: 'x', datatype: 'FP64', shape: [-1], required: true },
      { name: 'n', datatype: 'INT64', shape: [-1], required: false },
      { name: 'flag', datatype: 'BOOL', shape: [-1], required: false },
      { name: 'label', datatype: 'BYTES', shape: [-1], required: false },
    ]);
  });

  it('maps a fixed-length list of numbers to one [-1, n] FP32 tensor, of integers to INT64, an open length to -1', () => {
    expect(tensorSpecs(DIGITS_INPUT)[0]).toMatchObject({ name: 'pixels', datatype: 'FP32', shape: [-1, 64], list: true, width: 64 });
    const open = tensorSpecs({ properties: { ids: { type: 'array', items: { type: 'integer' }, minItems: 1 } }, required: [] })[0]!;
    expect(open).toMatchObject({ datatype: 'INT64', shape: [-1, -1], width: undefined });
  });

  it('gives census-income one tensor per column, in the manifest\'s order', async () => {
    const { manifest } = await loadModelSpec(CENSUS_MODEL_DIR);
    const specs = tensorSpecs(manifest.input);
    expect(specs.map((s) => s.name)).toEqual(Object.keys(manifest.input.properties));
    expect(specs.find((s) => s.name === 'education-num')!.datatype).toBe('INT64');
    expect(specs.find((s) => s.name === 'native-country')!.datatype).toBe('BYTES');
    expect(tensorSpecs(manifest.input)).toBe(specs);
  });

  it('accepts any numeric datatype for numbers, only BYTES for strings and BOOL for booleans', () => {
    const [x, , flag, label] = tensorSpecs(TOY_INPUT);
    for (const datatype of ['FP16', 'FP32', 'FP64', 'INT8', 'INT64', 'UINT8', 'UINT64'] as const) expect(acceptsDatatype(x!, datatype)).toBe(true);
    expect(acceptsDatatype(x!, 'BYTES')).toBe(false);
    expect(acceptsDatatype(x!, 'BOOL')).toBe(false);
    expect(acceptsDatatype(label!, 'BYTES')).toBe(true);
    expect(acceptsDatatype(label!, 'INT64')).toBe(false);
    expect(acceptsDatatype(flag!, 'BOOL')).toBe(true);
    expect(acceptsDatatype(flag!, 'UINT8')).toBe(false);
  });
});
