import { describe, expect, it } from 'vitest';
import { InternalError, ValidationError } from '../../../src/errors.js';
import { chooseOutputs, encodeOutputs } from '../../../src/v2/encode-outputs.js';
import { inferRequestSchema } from '../../../src/v2/v2-schemas.js';
import { TOY_OUTPUT } from '../../helpers/fake-v2-models.js';
import { bytes, fp64 } from '../../helpers/v2-binary.js';

const request = (extra: object) => inferRequestSchema.parse({ inputs: [{ name: 'x', datatype: 'FP64', shape: [1], data: [1] }], ...extra });
const head = { model_name: 'toy', id: '1' };

describe('chooseOutputs', () => {
  it('defaults to every output in the manifest\'s order, JSON unless binary_data_output', () => {
    expect(chooseOutputs(request({}), TOY_OUTPUT, 'toy').map((c) => [c.spec.name, c.binary])).toEqual([['y', false], ['n', false], ['flag', false], ['label', false]]);
    expect(chooseOutputs(request({ parameters: { binary_data_output: true } }), TOY_OUTPUT, 'toy').every((c) => c.binary)).toBe(true);
  });

  it('keeps the order asked for, each output\'s binary_data overriding the default', () => {
    const chosen = chooseOutputs(request({ parameters: { binary_data_output: true }, outputs: [{ name: 'label', parameters: { binary_data: false } }, { name: 'y' }] }), TOY_OUTPUT, 'toy');
    expect(chosen.map((c) => [c.spec.name, c.binary])).toEqual([['label', false], ['y', true]]);
  });

  it('refuses unknown and repeated outputs, and flags that are not booleans, by position', () => {
    try {
      chooseOutputs(request({ outputs: [{ name: 'z' }, { name: 'y' }, { name: 'y' }, { name: 'n', parameters: { binary_data: 'yes' } }] }), TOY_OUTPUT, 'toy');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((i) => i.field)).toEqual(['outputs[0]', 'outputs[2]', 'outputs[3].parameters.binary_data']);
    }
  });
});

describe('encodeOutputs', () => {
  const results = [{ y: 2, label: 'a' }, { y: 4, label: 'bc' }];

  it('writes JSON tensors of shape [N]', () => {
    const encoded = encodeOutputs(results, chooseOutputs(request({ outputs: [{ name: 'y' }, { name: 'label' }] }), TOY_OUTPUT, 'toy'), head);
    expect(encoded.binary).toEqual([]);
    expect(encoded.json.outputs).toEqual([
      { name: 'y', datatype: 'FP64', shape: [2], data: [2, 4] },
      { name: 'label', datatype: 'BYTES', shape: [2], data: ['a', 'bc'] },
    ]);
  });

  it('writes binary tensors after the JSON, each with its binary_data_size', () => {
    const encoded = encodeOutputs(results, chooseOutputs(request({ parameters: { binary_data_output: true }, outputs: [{ name: 'y' }, { name: 'label' }] }), TOY_OUTPUT, 'toy'), head);
    expect(encoded.binary).toEqual([fp64([2, 4]), bytes(['a', 'bc'])]);
    expect(encoded.json.outputs.map((o) => o.parameters)).toEqual([{ binary_data_size: 16 }, { binary_data_size: 11 }]);
    expect(encoded.json.outputs.some((o) => 'data' in o)).toBe(false);
  });

  it('blames the model, by output and row, for a result that breaks the declaration', () => {
    const choices = chooseOutputs(request({ outputs: [{ name: 'y' }] }), TOY_OUTPUT, 'toy');
    expect(() => encodeOutputs([{ y: 1 }, { y: '2' }], choices, head)).toThrow(InternalError);
    expect(() => encodeOutputs([{ y: 1 }, {}], choices, head)).toThrow(/result 1 has no y/);
  });
});
