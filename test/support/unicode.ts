// String.prototype.isWellFormed is ES2024, newer than the TypeScript lib this repo targets.
/** No lone surrogate: with the `u` flag a valid pair is one code point, a lone half is category Cs. */
export const isWellFormed = (text: string): boolean => !/\p{Cs}/u.test(text);
