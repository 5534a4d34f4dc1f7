/**
 * Why one tensor is refused, without saying which: the caller that knows
 * the tensor's name turns it into a `ValidationError` naming it.
 */
export class TensorIssue extends Error {
  override readonly name = 'TensorIssue';
}
