// Reads one attribute path for `Condition.eval` (src/wasm/condition.rs) in
// a single call across the JS/wasm boundary, the way the JSON route
// (serde-wasm-bindgen, then getPath) would see it: steps only into objects
// and arrays; an inherited `__proto__`, or an inherited function at the end
// of the path, is missing. Returns a tag; the value waits in `value` / `text`
// for the call that fetches it:
//   0 missing / null / undefined   1 false   2 true   3 number (pathNumber)
//   4 string (pathText)   5 array or plain object as JSON text (pathText)
//   6 anything else (pathValue, converted as before)   7 a getter threw (pathValue)
//   8 an array: its length (pathNumber), its items by pathItem(i), each
//     tagged as above (a nested array being JSON text, tag 5)
const own = Object.prototype.hasOwnProperty;
let value;
let text;
let items;

export function readPath(obj, keys) {
  let cur = obj;
  let parent;
  let key;
  try {
    for (let i = 0; i < keys.length; i++) {
      if (typeof cur !== "object" || cur === null) return 0;
      key = keys[i];
      if (key === "__proto__" && !own.call(cur, key)) return 0;
      parent = cur;
      cur = cur[key];
    }
  } catch (e) {
    value = e;
    return 7;
  }
  if (Array.isArray(cur)) {
    items = cur;
    value = cur.length;
    return 8;
  }
  return classify(cur, parent, key);
}

export function pathItem(i) {
  return classify(items[i]);
}

function classify(cur, parent, key) {
  switch (typeof cur) {
    case "string":
      text = cur;
      return 4;
    case "number":
      value = cur;
      return 3;
    case "boolean":
      return cur ? 2 : 1;
    case "undefined":
      return 0;
    case "function":
      if (parent !== undefined && !own.call(parent, key)) return 0;
      break;
    case "object": {
      if (cur === null) return 0;
      const proto = Array.isArray(cur) ? Array.prototype : Object.getPrototypeOf(cur);
      if (proto === Array.prototype || proto === Object.prototype || proto === null) {
        try {
          text = JSON.stringify(cur);
          value = cur;
          return 5;
        } catch {
          // A cycle or a BigInt: converted as before, which reports it.
        }
      }
      break;
    }
  }
  value = cur;
  return 6;
}

export function pathNumber() {
  return value;
}

export function pathText() {
  const t = text;
  text = undefined;
  return t;
}

export function pathValue() {
  const v = value;
  value = undefined;
  return v;
}
