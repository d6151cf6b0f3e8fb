import type { StructError } from 'superstruct';
import { firstFailure } from '@inflow/protocol';

/** A superstruct failure as `{ path, message }` an operator can act on. */
export function structProblem(error: StructError): { path: string; message: string } {
  const failure = firstFailure(error);
  const path = failure.path.join('.') || '(body)';
  if (failure.type === 'never') return { path, message: 'unknown field' };
  if (failure.value === undefined && !failure.refinement) return { path, message: 'is required' };
  return { path, message: failure.message };
}
