/** The command line's `--name value` pairs, by name (a value is whatever follows its name). */
export function optionArgs(argv = process.argv.slice(2)) {
  return Object.fromEntries(argv.reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
}

/** Throws, naming the option, unless each value is a whole number above 0. */
export function requirePositiveWholeNumbers(options) {
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number above 0 (got ${value})`);
  }
}
