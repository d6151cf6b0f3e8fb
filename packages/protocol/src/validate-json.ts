import { StructError, validate, type Failure, type Struct } from 'superstruct';

/** What a failure says of a value superstruct could not render (see validateJson). */
export const UNPRINTABLE_PROBLEM = 'is an object with its own toString or valueOf, where another kind of value is expected';

/**
 * superstruct's `validate`, safe for any parsed JSON. superstruct renders a failing value with a
 * template literal, which throws a TypeError for an object whose own `toString` or `valueOf` is
 * not a function (JSON can say `{"toString": 1}`): that would surface as a 500. Such a failure is
 * answered as a StructError at the innermost such object of the value (its path), like any other.
 */
export function validateJson<T, S>(value: unknown, struct: Struct<T, S>, options: { coerce?: boolean } = {}): [StructError, undefined] | [undefined, T] {
  try {
    return validate(value, struct, options);
  } catch (error) {
    if (!(error instanceof TypeError) || error instanceof StructError) throw error;
    const [path, at] = unprintable(value) ?? [[], value];
    const failure: Failure = { value: at, key: path[path.length - 1], type: 'unprintable', refinement: undefined, message: UNPRINTABLE_PROBLEM, branch: [value], path };
    // StructError lists its own failure first, then those of the generator: there are no others.
    return [new StructError(failure, function* () {
      yield* [];
    }), undefined];
  }
}

type Path = Array<string | number>;

/**
 * The first failure of a StructError, read from the error itself. Not `failures()`: that goes on
 * validating the rest of the value, which renders other failing values (and throws on one that
 * cannot be turned into text, after the first failure was found safely).
 */
export function firstFailure(error: StructError): Pick<Failure, 'path' | 'type' | 'value' | 'refinement' | 'message'> {
  const prefix = `At path: ${error.path.join('.')} -- `;
  const message = error.path.length > 0 && error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return { path: error.path, type: error.type, value: error.value as unknown, refinement: error.refinement, message };
}

/**
 * The innermost object that a template literal cannot turn into text, and its path. (An array
 * or object holding one cannot be turned into text either: the innermost is the one to name.)
 */
function unprintable(value: unknown, path: Path = []): [Path, unknown] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const found = unprintable(child, [...path, Array.isArray(value) ? Number(key) : key]);
    if (found) return found;
  }
  try {
    void String(value);
    return undefined;
  } catch {
    return [path, value];
  }
}
