// @ts-check
/**
 * An Error as the wasm API throws them: `code`, `path`, "path: message".
 * @param {string} code @param {string} path @param {string} message
 */
export function fail(code, path, message) {
  const e = /** @type {Error & {code: string, path?: string}} */ (new Error(path ? `${path}: ${message}` : message));
  e.code = code;
  if (path) e.path = path;
  return e;
}

/** @param {string} path @param {string} message */
export const invalid = (path, message) => fail("invalid_argument", path, message);

/** @param {string} message */
export const warn = (message) => console.warn(message);
