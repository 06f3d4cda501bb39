// Options that several calls share. The output a call computes is its `variant` ('encoder',
// 'range' or 'range+'): `model` is the loaded object. The option's first name was `model`; it
// still works, with a note on the console once per call site.

const noted = new Set();

/**
 * The variant that `options` names (`variant`, or the old `model` with a note), else `fallback`.
 * @param {{variant?: string, model?: string}} options
 * @param {string|undefined} fallback
 * @param {string} where the call, for the note (e.g. 'GeoRange.embed')
 */
export function variantOf(options, fallback, where) {
  if (options?.variant !== undefined) return options.variant;
  if (typeof options?.model === 'string') {
    if (!noted.has(where)) {
      noted.add(where);
      console.warn(`georange: ${where}'s option \`model\` is now \`variant\`; \`model\` still works but is deprecated`);
    }
    return options.model;
  }
  return fallback;
}

/** `options` with the old `model` (a variant name) moved to `variant`, noted as `variantOf` does. */
export function withVariant(options, where) {
  if (typeof options?.model !== 'string') return options;
  const { model, ...rest } = options;
  return { ...rest, variant: variantOf(options, undefined, where) };
}
