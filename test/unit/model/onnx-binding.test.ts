import { describe, expect, it } from 'vitest';
import type { ObjectSchema } from '../../../src/model/manifest.js';
import { bindOnnx, onnxName, onnxSectionSchema, OnnxBindingError } from '../../../src/model/onnx-binding.js';
import type { GraphSignature } from '../../../src/model/onnx-signature.js';

const section = (value: unknown = {}) => onnxSectionSchema.parse(value);

// The census graph as skl2onnx writes it: one [N, 1] tensor per column, `-` renamed to `_`.
const census: GraphSignature = {
  inputs: [
    { name: 'age', kind: 'tensor', type: 'int64', shape: [null, 1] },
    { name: 'education_num', kind: 'tensor', type: 'int64', shape: [null, 1] },
    { name: 'workclass', kind: 'tensor', type: 'string', shape: [null, 1] },
  ],
  outputs: [
    { name: 'label', kind: 'tensor', type: 'string', shape: [null] },
    { name: 'probabilities', kind: 'tensor', type: 'float32', shape: [null, 2] },
  ],
};
const censusInput: ObjectSchema = {
  type: 'object',
  properties: { age: { type: 'integer' }, 'education-num': { type: 'integer' }, workclass: { type: 'string' } },
  required: ['age', 'education-num', 'workclass'],
};
const censusOutput: ObjectSchema = {
  type: 'object',
  properties: { probability: { type: 'number' }, income: { type: 'string' } },
  required: ['probability', 'income'],
};
const censusOutputs = { income: 'label', probability: { tensor: 'probabilities', take: 'max' } };

function bindingError(run: () => unknown): OnnxBindingError {
  try {
    run();
  } catch (error) {
    if (error instanceof OnnxBindingError) return error;
    throw error;
  }
  throw new Error('expected an OnnxBindingError');
}

describe('bindOnnx', () => {
  it("maps declared fields to skl2onnx's renamed tensors by name when onnx.inputs is left out", () => {
    const bound = bindOnnx(section({ outputs: censusOutputs }), censusInput, censusOutput, census);
    expect(bound.binding.inputs).toEqual([
      { tensor: 'age', type: 'int64', layout: 'column', fields: ['age'], rowShape: [1] },
      { tensor: 'education_num', type: 'int64', layout: 'column', fields: ['education-num'], rowShape: [1] },
      { tensor: 'workclass', type: 'string', layout: 'column', fields: ['workclass'], rowShape: [1] },
    ]);
    expect(bound.binding.outputs).toEqual([
      { field: 'income', tensor: 'label', type: 'string', take: 'value' },
      { field: 'probability', tensor: 'probabilities', type: 'float32', take: 'max' },
    ]);
    expect(bound.derived).toEqual(['onnx.inputs from the graph: age <- age; education_num <- education-num; workclass <- workclass']);
    expect(onnxName('hours-per-week')).toBe('hours_per_week');
  });

  it('derives input and output fields from the tensors when the manifest declares neither', () => {
    const graph: GraphSignature = {
      inputs: [
        { name: 'features', kind: 'tensor', type: 'float32', shape: ['N', 3] },
        { name: 'tag', kind: 'tensor', type: 'string', shape: ['N', 1] },
      ],
      outputs: [
        { name: 'total', kind: 'tensor', type: 'float32', shape: ['N', 1] },
        { name: 'index', kind: 'tensor', type: 'int64', shape: ['N'] },
        { name: 'output_probability', kind: 'sequence' },
      ],
    };
    const bound = bindOnnx(section(), undefined, undefined, graph);
    expect(bound.input).toEqual({
      type: 'object',
      properties: { features: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 }, tag: { type: 'string' } },
      required: ['features', 'tag'],
    });
    expect(bound.output).toEqual({ type: 'object', properties: { total: { type: 'number' }, index: { type: 'integer' } }, required: ['total', 'index'] });
    expect(bound.binding.inputs.map((b) => b.layout)).toEqual(['array', 'column']);
    // Left out of the results, and said so as a warning with the fix, not among the info notes.
    expect(bound.derived.some((note) => note.includes('output_probability'))).toBe(false);
    expect(bound.leftOut).toEqual([expect.stringContaining('output "output_probability" is left out of the results: it is a sequence, not a tensor') as unknown]);
    expect(bound.leftOut[0]).toContain("skl2onnx's zipmap=False");
  });

  it('fills one row-major tensor from the scalar fields in declared order', () => {
    const graph: GraphSignature = { inputs: [{ name: 'float_input', kind: 'tensor', type: 'float32', shape: [null, 2] }], outputs: census.outputs };
    const input: ObjectSchema = { type: 'object', properties: { a: { type: 'number' }, b: { type: 'integer' } }, required: ['a', 'b'] };
    const bound = bindOnnx(section({ outputs: censusOutputs }), input, censusOutput, graph);
    expect(bound.binding.inputs).toEqual([{ tensor: 'float_input', type: 'float32', layout: 'fields', fields: ['a', 'b'], rowShape: [2] }]);
  });

  it('refuses a mapping to a tensor the graph does not have, naming the manifest field', () => {
    const error = bindingError(() => bindOnnx(section({ inputs: { agee: 'age' }, outputs: censusOutputs }), censusInput, censusOutput, census));
    expect(error.field).toBe('onnx.inputs.agee');
    expect(error.message).toContain('no input "agee"');
  });

  it('refuses a field whose type the tensor cannot hold', () => {
    const error = bindingError(() =>
      bindOnnx(section({ inputs: { age: 'workclass', education_num: 'education-num', workclass: 'age' }, outputs: censusOutputs }), censusInput, censusOutput, census),
    );
    expect(error.field).toBe('onnx.inputs.age');
    expect(error.message).toContain('field "workclass" is of type string but input "age" holds int64');
  });

  it('refuses an output field of the wrong type, and a non-tensor output with the zipmap hint', () => {
    const wrongType = bindingError(() => bindOnnx(section({ outputs: { income: 'probabilities', probability: 'label' } }), censusInput, censusOutput, census));
    expect(wrongType.field).toBe('onnx.outputs.income');
    const zipmap: GraphSignature = { ...census, outputs: [census.outputs[0]!, { name: 'output_probability', kind: 'sequence' }] };
    const error = bindingError(() => bindOnnx(section({ outputs: { income: 'label', probability: { tensor: 'output_probability', take: 'max' } } }), censusInput, censusOutput, zipmap));
    expect(error.field).toBe('onnx.outputs.probability');
    expect(error.message).toContain('zipmap=False');
  });

  it('refuses a graph input that no field feeds, and a required output no tensor fills', () => {
    expect(bindingError(() => bindOnnx(section({ inputs: { age: 'age', workclass: 'workclass' }, outputs: censusOutputs }), censusInput, censusOutput, census)).field).toBe('onnx.inputs');
    expect(bindingError(() => bindOnnx(section({ outputs: { income: 'label' } }), censusInput, censusOutput, census)).field).toBe('onnx.outputs');
  });

  it('refuses a graph whose batch dimension is fixed', () => {
    const graph: GraphSignature = { ...census, inputs: [{ name: 'age', kind: 'tensor', type: 'int64', shape: [1, 1] }] };
    const input: ObjectSchema = { type: 'object', properties: { age: { type: 'integer' } }, required: ['age'] };
    expect(bindingError(() => bindOnnx(section({ outputs: censusOutputs }), input, censusOutput, graph)).message).toContain('fixes its first dimension at 1');
  });
});
