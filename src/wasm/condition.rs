//! `new Condition(c, savedGroups?).eval(attributes, savedGroups?)`: a
//! condition compiled once, evaluated over the caller's JS objects where
//! they are.
//!
//! With the `condition-js-view` feature (Node and edge builds), `eval`
//! converts nothing up front. For each attribute path the condition names,
//! one call into `condition_read.js` walks the path and returns a type tag;
//! then only the value at its end crosses: a number, a string (one copy), an
//! array item by item, a nested array or plain object as `JSON.stringify`
//! text for serde_json, anything else through [`from_js`] as before. A path
//! named in several places is read at most twice per call. `$regex` and
//! `$regexi` run on the JS engine's `RegExp`, as GrowthBook runs them. The
//! answers are those of the JSON route (convert everything, then evaluate):
//!
//! - a path step is taken only into objects and arrays (`typeof` object, not
//!   null); inherited properties are missing, as for the JSON route (which
//!   sees own enumerable properties only): an inherited function at the end
//!   of a path (`constructor`, `toString`, `map`…) or an inherited
//!   `__proto__` anywhere;
//! - numbers become JSON numbers as serde-wasm-bindgen makes them (safe
//!   integers as integers, NaN and the infinities as `null`);
//! - what cannot be read (a throwing getter, a value the JSON route refuses
//!   such as a `BigInt`) throws as before, but only when the condition reads
//!   it.
//!
//! Differences that remain, all outside JSON data: a getter on a class's
//! prototype is now read (as GrowthBook reads it); a value the condition
//! does not read is never checked, so attributes holding, say, a `BigInt`
//! elsewhere no longer throw; inside a nested array or plain object read as
//! JSON text, a key whose value is `undefined` or a function is left out and
//! an object with `toJSON` (a `Date`) is its JSON form, where the JSON route
//! reads `null`, an error and `{}`. Regexes: a pattern must still compile in
//! the Rust engine (`new Condition` is strict); the JS engine then decides
//! the match, so this `eval` and `evalCondition` (Rust engine) can differ
//! where the dialects do (see `crate::targeting::jsregex`).
//!
//! The page build (without the feature) keeps the JSON route, which is
//! smaller in its bundle; it compiles and matches every regex with `RegExp`
//! anyway (see `crate::regex`), so `eval` and `evalCondition` agree there.

#[cfg(feature = "condition-js-view")]
use std::{borrow::Cow, cell::RefCell};

#[cfg(feature = "condition-js-view")]
use crate::json::Value;
#[cfg(feature = "condition-js-view")]
use js_sys::Array;
use wasm_bindgen::prelude::*;

#[cfg(feature = "condition-js-view")]
use super::engine::{self, JsRegExp};
use super::from_js;
use crate::targeting::Condition;
#[cfg(feature = "condition-js-view")]
use crate::targeting::{Attributes, RegexEngine, SavedGroups};

/// A condition compiled once (regexes included) for evaluating many
/// attribute sets: `new Condition(cond).eval(attributes, savedGroups?)`.
#[wasm_bindgen(js_name = Condition)]
pub struct ConditionHandle {
    condition: Condition,
    /// Saved groups given to the constructor, read once; `eval` uses them
    /// when it is given none.
    groups: Option<crate::json::Map<String, crate::json::Value>>,
    /// The paths the condition reads, as JS arrays of steps made once.
    #[cfg(feature = "condition-js-view")]
    paths: PathCache,
    /// The condition's regexes as JS `RegExp`s, made once: `None` where
    /// `new RegExp` throws (GrowthBook then answers false).
    #[cfg(feature = "condition-js-view")]
    regexes: JsRegexes,
}

/// `$regex` / `$regexi` on the JS engine, as GrowthBook runs them:
/// `new RegExp(source)` / `new RegExp(source, "i")`, then `.test(String(value))`.
#[cfg(feature = "condition-js-view")]
struct JsRegexes(Vec<Option<JsRegExp>>);

#[cfg(feature = "condition-js-view")]
impl JsRegexes {
    fn new(condition: &Condition) -> Self {
        let sources = condition.regex_sources().iter();
        JsRegexes(
            sources
                .map(|(source, i)| engine::compile(source, if *i { "i" } else { "" }).ok())
                .collect(),
        )
    }
}

#[cfg(feature = "condition-js-view")]
impl RegexEngine for JsRegexes {
    fn is_match(&self, index: usize, text: &str) -> Option<bool> {
        // A pattern the JS engine refuses is GrowthBook's `false`.
        Some(self.0.get(index)?.as_ref().is_some_and(|re| re.test(text)))
    }
}

#[wasm_bindgen(js_class = Condition)]
impl ConditionHandle {
    /// Throws `invalid_config` with the path of the first bad part (an
    /// invalid regex, say) and every bad part in `err.errors`; use
    /// `evalCondition` for GrowthBook's lenient behaviour instead.
    ///
    /// `savedGroups`, if given, are read once here and used by every
    /// `eval` that is given none.
    #[wasm_bindgen(constructor)]
    pub fn new(condition: JsValue, saved_groups: JsValue) -> Result<ConditionHandle, JsValue> {
        let value = from_js(condition, "condition")?;
        let groups = match from_js(saved_groups, "savedGroups")? {
            crate::json::Value::Object(map) => Some(map),
            _ => None,
        };
        let condition =
            Condition::compile(&value).map_err(|errors| super::config_error(&errors))?;
        Ok(ConditionHandle {
            groups,
            #[cfg(feature = "condition-js-view")]
            regexes: JsRegexes::new(&condition),
            condition,
            #[cfg(feature = "condition-js-view")]
            paths: RefCell::default(),
        })
    }

    #[cfg(not(feature = "condition-js-view"))]
    pub fn eval(&self, attributes: JsValue, saved_groups: JsValue) -> Result<bool, JsValue> {
        let attributes = from_js(attributes, "attributes")?;
        match (&self.groups, saved_groups.is_undefined()) {
            (Some(groups), true) => Ok(self.condition.eval_with_groups(&attributes, groups)),
            _ => {
                let groups = from_js(saved_groups, "savedGroups")?;
                Ok(self.condition.eval(&attributes, &groups))
            }
        }
    }

    /// `savedGroups` arrives as an `Option` so that the common call
    /// without groups costs no check across the boundary.
    #[cfg(feature = "condition-js-view")]
    pub fn eval(
        &self,
        attributes: JsValue,
        saved_groups: Option<JsValue>,
    ) -> Result<bool, JsValue> {
        let attrs = JsObjectView::new(&attributes, Some(&self.paths), "attributes");
        let none = JsValue::UNDEFINED;
        let view = JsObjectView::new(saved_groups.as_ref().unwrap_or(&none), None, "savedGroups");
        let groups: Option<&dyn SavedGroups> = match &saved_groups {
            None => self.groups.as_ref().map(|map| map as &dyn SavedGroups),
            // Like `Value::as_object`: an array or a non-object is no groups.
            Some(given) if given.is_object() && !Array::is_array(given) => Some(&view),
            Some(_) => None,
        };
        let result = self.condition.eval_in(&attrs, groups, Some(&self.regexes));
        match (attrs.error.into_inner(), view.error.into_inner()) {
            (Some(e), _) | (None, Some(e)) => Err(e),
            (None, None) => Ok(result),
        }
    }
}

/// Paths cached per condition as JS arrays of steps: a condition names
/// few, and a scan of a short list beats hashing; past this many, a path's
/// array is made on each read.
#[cfg(feature = "condition-js-view")]
const MAX_CACHED_PATHS: usize = 32;

/// Each path read, with its JS array of steps.
#[cfg(feature = "condition-js-view")]
type PathCache = RefCell<Vec<(Vec<String>, JsValue)>>;

#[cfg(feature = "condition-js-view")]
#[wasm_bindgen(module = "/src/wasm/condition_read.js")]
extern "C" {
    #[wasm_bindgen(js_name = readPath)]
    fn read_path(obj: &JsValue, keys: &JsValue) -> u32;
    #[wasm_bindgen(js_name = pathNumber)]
    fn path_number() -> f64;
    #[wasm_bindgen(js_name = pathText)]
    fn path_text() -> String;
    #[wasm_bindgen(js_name = pathValue)]
    fn path_value() -> JsValue;
    #[wasm_bindgen(js_name = pathItem)]
    fn path_item(index: u32) -> u32;
}

/// A JS object read in place (see the module documentation).
#[cfg(feature = "condition-js-view")]
struct JsObjectView<'a> {
    root: &'a JsValue,
    /// Paths already made into JS arrays (`None`: made on each read).
    paths: Option<&'a PathCache>,
    /// The argument's name in an error.
    what: &'static str,
    /// The first read that failed; `eval` throws it.
    error: RefCell<Option<JsValue>>,
    /// Paths read during this `eval`, by their address in the compiled
    /// condition, with the value from the second read on: a path named in
    /// several places is read at most twice.
    read: RefCell<Vec<(*const String, Option<Value>)>>,
}

#[cfg(feature = "condition-js-view")]
impl<'a> JsObjectView<'a> {
    fn new(root: &'a JsValue, paths: Option<&'a PathCache>, what: &'static str) -> Self {
        JsObjectView {
            root,
            paths,
            what,
            error: RefCell::new(None),
            read: RefCell::new(Vec::new()),
        }
    }

    fn fail(&self, e: JsValue) {
        if let Ok(mut slot) = self.error.try_borrow_mut() {
            slot.get_or_insert(e);
        }
    }

    /// `readPath(root, path)` with the path's JS array from the cache.
    fn read(&self, path: &[String]) -> u32 {
        let make = || {
            path.iter()
                .map(|step| JsValue::from_str(step))
                .collect::<Array>()
                .into()
        };
        let Some(mut paths) = self.paths.and_then(|p| p.try_borrow_mut().ok()) else {
            return read_path(self.root, &make());
        };
        if let Some((_, keys)) = paths.iter().find(|(p, _)| p.as_slice() == path) {
            return read_path(self.root, keys);
        }
        let keys: JsValue = make();
        let tag = read_path(self.root, &keys);
        if paths.len() < MAX_CACHED_PATHS {
            paths.push((path.to_vec(), keys));
        }
        tag
    }

    /// The value at `path`, as the JSON route reads it.
    fn value_at(&self, path: &[String]) -> Value {
        match self.read(path) {
            8 => {
                let len = path_number() as u32;
                Value::Array((0..len).map(|i| self.typed(path_item(i))).collect())
            }
            tag => self.typed(tag),
        }
    }

    /// The value that `readPath` / `pathItem` tagged `tag`.
    fn typed(&self, tag: u32) -> Value {
        match tag {
            1 => Value::Bool(false),
            2 => Value::Bool(true),
            3 => {
                // serde-wasm-bindgen: safe integers as integers, NaN and
                // the infinities (no JSON form) as null.
                let n = path_number();
                if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 {
                    Value::from(n as i64)
                } else {
                    crate::json::Number::from_f64(n).map_or(Value::Null, Value::Number)
                }
            }
            4 => Value::String(path_text()),
            // serde_json refuses what the JSON route would read otherwise
            // (a lone surrogate, deep nesting): that route then.
            5 => match serde_json::from_str(&path_text()) {
                Ok(json) => json,
                Err(_) => self.convert(path_value()),
            },
            6 => self.convert(path_value()),
            7 => {
                self.fail(path_value());
                Value::Null
            }
            _ => Value::Null,
        }
    }

    fn convert(&self, v: JsValue) -> Value {
        from_js(v, self.what).unwrap_or_else(|e| {
            self.fail(e);
            Value::Null
        })
    }
}

#[cfg(feature = "condition-js-view")]
impl Attributes for JsObjectView<'_> {
    fn get_path(&self, path: &[String]) -> Cow<'_, Value> {
        let at = path.as_ptr();
        let Ok(mut read) = self.read.try_borrow_mut() else {
            return Cow::Owned(self.value_at(path));
        };
        match read.iter_mut().find(|(p, _)| *p == at) {
            Some((_, Some(value))) => Cow::Owned(value.clone()),
            Some((_, slot)) => {
                let value = self.value_at(path);
                *slot = Some(value.clone());
                Cow::Owned(value)
            }
            None => {
                read.push((at, None));
                drop(read);
                Cow::Owned(self.value_at(path))
            }
        }
    }
}

#[cfg(feature = "condition-js-view")]
impl SavedGroups for JsObjectView<'_> {
    fn group(&self, key: &str) -> Option<Cow<'_, Value>> {
        match self.value_at(std::slice::from_ref(&key.to_string())) {
            Value::Null => None,
            group => Some(Cow::Owned(group)),
        }
    }
}
