import { describe, expect, it } from 'vitest';
import { checkJsonElements, elementCount, flattenData } from '../../../src/v2/tensor-data.js';
import { TensorIssue } from '../../../src/v2/tensor-issue.js';

describe('JSON tensor data', () => {
  it('takes row-major data flat or nested as the shape, to the same elements', () => {
    expect(flattenData([1, 2, 4, 5], 2)).toEqual([1, 2, 4, 5]);
    expect(flattenData([[1, 2], [4, 5]], 2)).toEqual([1, 2, 4, 5]);
    expect(flattenData([[[1]], [[2]]], 3)).toEqual([1, 2]);
  });

  it('refuses data nested deeper than the shape, and data that is not an array', () => {
    expect(() => flattenData([[1], [2]], 1)).toThrow(/nested deeper than its shape's 1 dimensions/);
    expect(() => flattenData({ a: 1 }, 1)).toThrow(TensorIssue);
    expect(() => flattenData('1,2', 1)).toThrow(/data must be an array, got string/);
  });

  it('counts the elements of a shape', () => {
    expect(elementCount([3])).toBe(3);
    expect(elementCount([2, 64])).toBe(128);
    expect(elementCount([0, 5])).toBe(0);
  });

  it('checks elements against the declared datatype', () => {
    expect(() => checkJsonElements([1, 2], 'INT64', false)).not.toThrow();
    expect(() => checkJsonElements([1.5], 'FP32', false)).not.toThrow();
    expect(() => checkJsonElements([1.5], 'INT32', false)).toThrow(/element 0 \(1.5\) is not an integer/);
    expect(() => checkJsonElements([256], 'UINT8', false)).toThrow(/from 0 to 255 \(UINT8\)/);
    expect(() => checkJsonElements([-1], 'UINT32', false)).toThrow(TensorIssue);
    expect(() => checkJsonElements(['1'], 'FP64', false)).toThrow(/element 0 \("1"\) is not a number \(FP64\)/);
    expect(() => checkJsonElements([1], 'BYTES', false)).toThrow(/not a string \(BYTES\)/);
    expect(() => checkJsonElements([0], 'BOOL', false)).toThrow(/not a boolean \(BOOL\)/);
    expect(() => checkJsonElements([null], 'FP64', false)).toThrow(TensorIssue);
    expect(() => checkJsonElements([null], 'FP64', true)).not.toThrow();
  });
});
