// init() for pages: wasm-bindgen's, with the download checked first, so a
// wasm that did not arrive (a 404 page, an SPA's index.html) fails with its
// URL and what came back, not with WebAssembly's "expected magic word".
export function checkedInit(init, defaultUrl) {
  return (input) => {
    const given = input !== null && typeof input === "object" && Object.getPrototypeOf(input) === Object.prototype
      ? input.module_or_path
      : input;
    // A thenable: the glue awaits it only while the wasm is not loaded yet.
    return init({ module_or_path: { then: (ok, fail) => resolve(given, defaultUrl).then(ok, fail) } });
  };
}

async function resolve(given, defaultUrl) {
  let source = (await given) ?? defaultUrl();
  if (typeof source === "string" || source instanceof URL || (typeof Request === "function" && source instanceof Request)) {
    const url = String(source.url ?? source);
    try {
      source = await fetch(source);
    } catch (e) {
      throw failed(url, String(e?.message ?? e), e);
    }
  }
  if (!(typeof Response === "function" && source instanceof Response)) return source;
  const type = (source.headers.get("content-type") ?? "").split(";")[0].trim();
  if (source.ok && type === "application/wasm") return source;
  const bytes = new Uint8Array(await source.arrayBuffer());
  if (source.ok && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d) return bytes;
  throw failed(source.url, `got HTTP ${source.status}, ${type || "no content-type"}, not WebAssembly`);
}

const failed = (url, what, cause) => new Error(`nurture: could not load nurture_bg.wasm from ${url} (${what}): `
  + "the bundler did not emit it next to the script, or the server does not serve it. "
  + "See the README's Bundlers section, or pass the wasm's URL to init().", { cause });
