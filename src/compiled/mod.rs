//! The compiled form of a scoring model and of a site config, as pages load
//! them: checked ahead of time by a full build (Node, the edge worker, the
//! `nurture compile` command), so the page build reads them from one byte
//! array: no JSON text parsed, no JS objects walked into the core, no
//! diagnostics kept.
//!
//! # Layout
//!
//! A 22-byte header, then the payload:
//!
//! | bytes | what |
//! |-------|------|
//! | 0–3   | magic, `89 4E 52 43` (`\x89NRC`: the high first byte tells it from text) |
//! | 4     | format version, [`FORMAT_VERSION`] |
//! | 5     | kind: 1 a model, 2 a site config, 3 the edge's config document (site config and model) |
//! | 6–13  | the source's hash: the first 8 bytes of the SHA-256 of its JSON text (the edge document's `version`, 16 hex digits, is the same idea and is used as is) |
//! | 14–17 | payload length, u32 little-endian |
//! | 18–21 | CRC-32 (IEEE) of bytes 0–17 and of the payload |
//!
//! The payload is each document as given (the checked source) in a
//! compact tagged tree ([`tree`]): a model or a site config is one tree;
//! the edge document is the site config's tree, then the model's (or a
//! null: the built-in model). Then, since format version 2, what the full
//! build compiled each document to, in the same order (site config, then
//! model, none for a null model), each as a u32 little-endian length and
//! the compiled structures in postcard ([`wire`]).
//!
//! A compiled config of another format version is refused
//! (`compiled_config_version`), as is one whose length or checksum does not
//! match, that is truncated, or that does not decode
//! (`compiled_config_corrupt`): [`Compiled::read`] says what was expected.
//!
//! # Why both
//!
//! The full build (Node, the edge worker) reads the documents, as version 1
//! did: its models keep their whole document (`model.config`, fingerprints)
//! and its errors their paths. The page build reads only the compiled
//! structures ([`Frame::load`]): no config document's reader, no
//! validation, no compiler, no error message is linked into it, which was
//! most of its wasm (twiggy: `Frame::load` kept 156 KB of 551 KB).
//! Regexes travel as their pattern text and each build compiles them with
//! its own engine when it loads (the browser's `RegExp` in the page). The
//! price is that the format follows the core's private types: any change
//! to them must raise [`FORMAT_VERSION`].

#[cfg(not(feature = "page-only"))]
pub mod de;
pub mod read;
#[cfg(feature = "config-compiler")]
mod sha256;
pub mod tree;
pub mod wire;

use crate::json::Value;

#[cfg(not(feature = "page-only"))]
use crate::diagnostics::{ConfigDocument, Diagnostics};
use crate::personalize::Personalizer;
use crate::score::Model;

/// The first four bytes of every compiled config.
pub const MAGIC: [u8; 4] = [0x89, b'N', b'R', b'C'];
/// The version of the layout above and of the tree encoding; a reader
/// refuses any other.
pub const FORMAT_VERSION: u8 = 2;
/// The header's length in bytes.
pub const HEADER_LEN: usize = 22;
/// The media type the worker serves compiled configs as.
pub const MEDIA_TYPE: &str = "application/vnd.nurture.compiled";

/// What a compiled config holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Model = 1,
    Site = 2,
    /// The edge worker's config document: a site config and a model (or
    /// none: the built-in one).
    Edge = 3,
}

impl Kind {
    fn from_byte(b: u8) -> Option<Kind> {
        match b {
            1 => Some(Kind::Model),
            2 => Some(Kind::Site),
            3 => Some(Kind::Edge),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Model => "model",
            Kind::Site => "site",
            Kind::Edge => "edge",
        }
    }
}

/// Why a compiled config was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompiledError {
    /// Not a compiled config of this format version: `found` is the
    /// version it says it has.
    Version { found: u8 },
    /// Not a compiled config at all, or damaged: what was expected.
    Corrupt(&'static str),
}

impl CompiledError {
    /// The stable error code (`err.code` in JavaScript).
    pub fn code(&self) -> &'static str {
        match self {
            CompiledError::Version { .. } => "compiled_config_version",
            CompiledError::Corrupt(_) => "compiled_config_corrupt",
        }
    }

    /// What went wrong and what was expected, without `format!` (the page
    /// build carries no formatting machinery).
    pub fn message(&self) -> String {
        match self {
            CompiledError::Version { found } => {
                let mut m = String::from("compiled with format version ");
                push_decimal(&mut m, u32::from(*found));
                m.push_str(", this build reads version ");
                push_decimal(&mut m, u32::from(FORMAT_VERSION));
                m.push_str(": compile the config again with this version of nurture");
                m
            }
            CompiledError::Corrupt(what) => String::from(*what),
        }
    }
}

impl std::fmt::Display for CompiledError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for CompiledError {}

fn push_decimal(out: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    let mut rest = n;
    loop {
        if let Some(d) = digits.get_mut(len) {
            *d = b'0' + (rest % 10) as u8;
        }
        len += 1;
        rest /= 10;
        if rest == 0 || len == digits.len() {
            break;
        }
    }
    for d in digits.iter().take(len).rev() {
        out.push(char::from(*d));
    }
}

/// A compiled config, read and checked, its documents not yet compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub kind: Kind,
    /// The source's hash, 8 bytes (see the layout above).
    pub source: [u8; 8],
    /// The model (kind `Model`, or `Edge` when it has one).
    pub model: Option<Value>,
    /// The site config (kinds `Site` and `Edge`).
    pub site: Option<Value>,
}

/// What a compiled config compiles to in the page.
pub struct Loaded {
    pub kind: Kind,
    pub personalizer: Option<Personalizer>,
    pub model: Option<Model>,
    /// The source hash as 16 hex digits (the edge document's `version`).
    pub version: String,
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// Checks a compiled config's header (magic, format version, length,
/// checksum, kind): its kind, source hash and payload.
fn header(bytes: &[u8]) -> Result<(Kind, [u8; 8], &[u8]), CompiledError> {
    if !Compiled::looks_compiled(bytes) {
        return Err(CompiledError::Corrupt(
            "not a compiled config: expected the bytes 89 4E 52 43 (\\x89NRC) first",
        ));
    }
    let version = bytes.get(4).copied().ok_or(CompiledError::Corrupt(
        "truncated: expected a 22-byte header",
    ))?;
    if version != FORMAT_VERSION {
        return Err(CompiledError::Version { found: version });
    }
    let header = bytes.get(..HEADER_LEN).ok_or(CompiledError::Corrupt(
        "truncated: expected a 22-byte header",
    ))?;
    let payload = bytes.get(HEADER_LEN..).unwrap_or_default();
    let length = u32_at(header, 14).unwrap_or(0) as usize;
    if payload.len() < length {
        return Err(CompiledError::Corrupt(
            "truncated: the payload is shorter than the header says",
        ));
    }
    if payload.len() > length {
        return Err(CompiledError::Corrupt(
            "trailing bytes after the payload the header announces",
        ));
    }
    let mut crc = Crc32::new();
    crc.update(header.get(..18).unwrap_or_default());
    crc.update(payload);
    if Some(crc.finish()) != u32_at(header, 18) {
        return Err(CompiledError::Corrupt(
                "checksum mismatch: the compiled config was damaged (expected the CRC-32 in its header)",
            ));
    }
    let kind = header
        .get(5)
        .copied()
        .and_then(Kind::from_byte)
        .ok_or(CompiledError::Corrupt(
            "unknown kind: expected 1 (model), 2 (site) or 3 (edge)",
        ))?;
    let mut source = [0u8; 8];
    source.copy_from_slice(header.get(6..14).unwrap_or(&[0; 8]));
    Ok((kind, source, payload))
}

/// A compiled config's header checked and its payload cut into its
/// documents' trees (each checked as a tree), not yet read: what the page
/// compiles straight from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    pub kind: Kind,
    /// The source's hash, 8 bytes (see the layout above).
    pub source: [u8; 8],
    /// The model's tree (kind `Model`, or `Edge` when it has one).
    pub model: Option<&'a [u8]>,
    /// The site config's tree (kinds `Site` and `Edge`).
    pub site: Option<&'a [u8]>,
    /// What the full build compiled the model to ([`wire`]).
    pub compiled_model: Option<&'a [u8]>,
    /// What the full build compiled the site config to ([`wire`]).
    pub compiled_site: Option<&'a [u8]>,
}

/// The next compiled section: a u32 length, then that many bytes.
fn section<'a>(rest: &mut &'a [u8]) -> Result<&'a [u8], CompiledError> {
    let len = u32_at(rest, 0).ok_or(TRUNCATED_SECTION)? as usize;
    let body = rest
        .get(4..)
        .and_then(|r| r.get(..len))
        .ok_or(TRUNCATED_SECTION)?;
    *rest = rest.get(4 + len..).unwrap_or_default();
    Ok(body)
}

const TRUNCATED_SECTION: CompiledError =
    CompiledError::Corrupt("truncated: expected the compiled structures after the documents");

impl<'a> Frame<'a> {
    /// Checks a compiled config's header and cuts its payload, refusing one
    /// of another format version, a truncated or damaged one, as
    /// [`Compiled::read`] does.
    pub fn read(bytes: &'a [u8]) -> Result<Frame<'a>, CompiledError> {
        let (kind, source, payload) = header(bytes)?;
        let mut reader = tree::Reader::new(payload);
        let first = reader.skip()?;
        let (site, model) = match kind {
            Kind::Model => (None, Some(first)),
            Kind::Site => (Some(first), None),
            Kind::Edge => {
                let model = reader.skip()?;
                (Some(first), (model != [tree::NULL]).then_some(model))
            }
        };
        let mut rest = reader.rest();
        let compiled_site = site.map(|_| section(&mut rest)).transpose()?;
        let compiled_model = model.map(|_| section(&mut rest)).transpose()?;
        if !rest.is_empty() {
            return Err(TRAILING_DOCUMENTS);
        }
        Ok(Frame {
            kind,
            source,
            model,
            site,
            compiled_model,
            compiled_site,
        })
    }

    /// Loads what the full build compiled ([`wire`]): nothing read from
    /// the documents, checked or compiled. What the page-only build does;
    /// the other builds compile the documents ([`Compiled::load`]). A
    /// document set to `None` (the page's own `options.model` wins over the
    /// config's) is not loaded.
    pub fn load(&self) -> Result<Loaded, CompiledError> {
        Ok(Loaded {
            kind: self.kind,
            personalizer: self
                .site
                .and(self.compiled_site)
                .map(wire::personalizer)
                .transpose()?,
            model: self
                .model
                .and(self.compiled_model)
                .map(wire::model)
                .transpose()?,
            version: hex(&self.source),
        })
    }
}

const TRAILING_DOCUMENTS: CompiledError =
    CompiledError::Corrupt("trailing bytes after the compiled structures the payload holds");
#[cfg(not(feature = "page-only"))]
const SITE_DOES_NOT_COMPILE: CompiledError = CompiledError::Corrupt(
    "the site config in the compiled config does not compile: compile it again with this version of nurture",
);
const MODEL_DOES_NOT_COMPILE: CompiledError = CompiledError::Corrupt(
    "the model in the compiled config does not compile: compile it again with this version of nurture",
);

/// 8 bytes as 16 lower-case hex digits.
fn hex(bytes: &[u8; 8]) -> String {
    let mut out = String::with_capacity(16);
    for b in bytes {
        for nibble in [b >> 4, b & 15] {
            out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    out
}

impl Compiled {
    /// Whether `bytes` start like a compiled config (the magic), whatever
    /// their version: how a page tells a compiled answer from JSON.
    pub fn looks_compiled(bytes: &[u8]) -> bool {
        bytes.starts_with(&MAGIC)
    }

    /// Reads a compiled config, refusing one of another format version, a
    /// truncated or damaged one.
    pub fn read(bytes: &[u8]) -> Result<Compiled, CompiledError> {
        // The layout is Frame's; only the documents are read further, into
        // values.
        let frame = Frame::read(bytes)?;
        let value = |tree: &[u8]| tree::Reader::new(tree).value();
        Ok(Compiled {
            kind: frame.kind,
            source: frame.source,
            model: frame.model.map(value).transpose()?,
            site: frame.site.map(value).transpose()?,
        })
    }

    /// The source hash as 16 lower-case hex digits.
    pub fn version(&self) -> String {
        hex(&self.source)
    }

    /// Compiles the documents, which a full build has checked (not in
    /// the page-only build, which has no compiler: [`Frame::load`]): no
    /// diagnostics kept. A document that does not compile
    /// (which a build of the same format version never writes) is refused as
    /// corrupt.
    #[cfg(not(feature = "page-only"))]
    pub fn load(self) -> Result<Loaded, CompiledError> {
        let version = self.version();
        let personalizer = match self.site {
            Some(site) => Some(checked::<Personalizer>(site).ok_or(SITE_DOES_NOT_COMPILE)?),
            None => None,
        };
        let model = match self.model {
            Some(model) => Some(checked::<Model>(model).ok_or(MODEL_DOES_NOT_COMPILE)?),
            None => None,
        };
        Ok(Loaded {
            kind: self.kind,
            personalizer,
            model,
            version,
        })
    }
}

/// The built-in model's compiled form, kept in step with
/// `src/score/default_model.json` by `tests/compiled.rs`
/// (`UPDATE_COMPILED=1 cargo test --test compiled` writes it again).
pub const DEFAULT_MODEL: &[u8] = include_bytes!("../score/default_model.nrc");

/// The built-in model, from its compiled form: what the page scores with
/// before (or without) a config's model, without parsing JSON. Should the
/// embedded form ever be refused, the JSON is the fallback.
#[cfg(not(feature = "page-only"))]
pub fn default_model() -> Model {
    Compiled::read(DEFAULT_MODEL)
        .and_then(Compiled::load)
        .ok()
        .and_then(|l| l.model)
        .unwrap_or_else(Model::default_model)
}

/// The built-in model from its embedded compiled form only: the page-only
/// build carries no JSON reader to fall back on (`tests/compiled.rs`
/// checks that the embedded form loads).
pub fn embedded_default_model() -> Result<Model, CompiledError> {
    Frame::read(DEFAULT_MODEL)?
        .load()?
        .model
        .ok_or(MODEL_DOES_NOT_COMPILE)
}

/// A checked document compiled: serde reads it from the tree's value and
/// what the compiler records is dropped unless it is an error.
///
/// NOTE: read through `serde_path_to_error` over `&Value`, like
/// [`ConfigDocument::from_value`], although no path is ever reported here:
/// serde's derived readers are instantiated once per deserializer type, and
/// reading the owned `Value` directly instantiated every config type's
/// reader a second time (+45 KB gzip of page wasm, +86 KB in the full
/// build). The tracking itself costs little; the page's start-up went to
/// walking JS objects into the core, which the compiled form skips.
#[cfg(not(feature = "page-only"))]
fn checked<T: ConfigDocument>(value: Value) -> Option<T> {
    let document = serde_path_to_error::deserialize::<_, T::Document>(&value).ok()?;
    let mut diagnostics = Diagnostics::default();
    let compiled = T::compile(document, &mut diagnostics);
    (!diagnostics.has_errors()).then_some(compiled)
}

/// Writes a compiled config: the header over `payload`.
#[cfg(feature = "config-compiler")]
fn frame(kind: Kind, source: [u8; 8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    out.push(kind as u8);
    out.extend_from_slice(&source);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    let mut crc = Crc32::new();
    crc.update(&out);
    crc.update(payload);
    out.extend_from_slice(&crc.finish().to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// CRC-32 (IEEE 802.3, reflected, as zlib's `crc32`): catches every
/// single-bit error and every burst of up to 32 bits, which a byte-sum or
/// FNV hash does not promise. One table lookup per byte; the table (1 KB)
/// is computed at compile time.
struct Crc32(u32);

// `i` runs below 256: the index is always in range (and a const cannot
// panic at run time: an out-of-range index would fail the build).
#[allow(clippy::indexing_slicing)]
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

impl Crc32 {
    fn new() -> Self {
        Crc32(0xFFFF_FFFF)
    }

    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let index = ((self.0 ^ u32::from(b)) & 0xFF) as usize;
            self.0 = (self.0 >> 8) ^ CRC_TABLE.get(index).copied().unwrap_or(0);
        }
    }

    fn finish(&self) -> u32 {
        !self.0
    }
}

#[cfg(feature = "config-compiler")]
pub use compiler::*;

/// Compiling: a full build checks a document with every path-precise error
/// ([`ConfigDocument::from_value`]) and writes its compiled form.
#[cfg(feature = "config-compiler")]
mod compiler {
    use crate::json::Value;

    use super::{frame, sha256, tree, wire, Kind};
    use crate::diagnostics::{ConfigDocument, Diagnostics, Issue};
    use crate::personalize::Personalizer;
    use crate::score::Model;

    /// The first 8 bytes of the SHA-256 of the document's JSON text (keys
    /// sorted, no spaces: the same for the same document however it was
    /// written).
    pub fn source_hash(document: &Value) -> [u8; 8] {
        let text = serde_json::to_string(document).unwrap_or_default();
        let digest = sha256::digest(text.as_bytes());
        let mut out = [0u8; 8];
        out.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
        out
    }

    /// 16 hex digits as 8 bytes (the edge document's `version`).
    pub fn parse_version(version: &str) -> Option<[u8; 8]> {
        if version.len() != 16 {
            return None;
        }
        let mut out = [0u8; 8];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(version.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(out)
    }

    fn check<T: ConfigDocument>(document: &Value, part: &str) -> Result<T, Diagnostics> {
        T::from_value(document.clone()).map_err(|d| {
            if part.is_empty() {
                return d;
            }
            let mut within = Diagnostics::default();
            within.extend_within(part, d.errors);
            within
        })
    }

    /// Appends a compiled section: its length, then its bytes.
    fn section(bytes: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    }

    /// A model, checked and compiled.
    pub fn compile_model(model: &Value) -> Result<Vec<u8>, Diagnostics> {
        let compiled = check::<Model>(model, "")?;
        let mut payload = Vec::new();
        tree::write(model, &mut payload);
        section(&wire::encode(&compiled.parts()), &mut payload);
        Ok(frame(Kind::Model, source_hash(model), &payload))
    }

    /// A site config, checked and compiled.
    pub fn compile_site(site: &Value) -> Result<Vec<u8>, Diagnostics> {
        let compiled = check::<Personalizer>(site, "")?;
        let mut payload = Vec::new();
        tree::write(site, &mut payload);
        section(&wire::encode(&compiled), &mut payload);
        Ok(frame(Kind::Site, source_hash(site), &payload))
    }

    /// The edge's config document, `{version?, site, model?}`, checked
    /// (errors with paths from the top of the document: `site.slots[0]…`,
    /// `model.fit…`) and compiled. Its `version`, when given, must be 16
    /// hex digits (what the worker computes) and becomes the source hash;
    /// otherwise the hash is computed over the document.
    pub fn compile_edge(document: &Value) -> Result<Vec<u8>, Diagnostics> {
        let Value::Object(map) = document else {
            return Err(Diagnostics::failed(Issue::error(
                "",
                "expected the edge's config document, {version, site, model}",
            )));
        };
        if let Some(key) = map
            .keys()
            .find(|k| !matches!(k.as_str(), "version" | "site" | "model"))
        {
            return Err(Diagnostics::failed(Issue::error(
                key.as_str(),
                "unknown field in the edge's config document, expected `version`, `site`, `model`",
            )));
        }
        let source = match map.get("version") {
            None | Some(Value::Null) => source_hash(document),
            Some(Value::String(v)) => parse_version(v).ok_or_else(|| {
                Diagnostics::failed(Issue::error(
                    "version",
                    "expected 16 hex digits (the worker's config version)",
                ))
            })?,
            Some(_) => {
                return Err(Diagnostics::failed(Issue::error(
                    "version",
                    "expected a string",
                )))
            }
        };
        let site = map.get("site").unwrap_or(&Value::Null);
        let model = map.get("model").unwrap_or(&Value::Null);
        let mut errors = Diagnostics::default();
        let compiled_site = check::<Personalizer>(site, "site")
            .map_err(|d| errors.errors.extend(d.errors))
            .ok();
        let compiled_model = match model.is_null() {
            true => None,
            false => check::<Model>(model, "model")
                .map_err(|d| errors.errors.extend(d.errors))
                .ok(),
        };
        let (Some(compiled_site), false) = (compiled_site, errors.has_errors()) else {
            return Err(errors);
        };
        let mut payload = Vec::new();
        tree::write(site, &mut payload);
        tree::write(model, &mut payload);
        section(&wire::encode(&compiled_site), &mut payload);
        if let Some(compiled) = compiled_model {
            section(&wire::encode(&compiled.parts()), &mut payload);
        }
        Ok(frame(Kind::Edge, source, &payload))
    }

    /// Compiles `document` as `kind`, or as what it looks like: the edge's
    /// document when it has a `site`, a model when it has `fit` or
    /// `engagement`, a site config otherwise.
    pub fn compile(document: &Value, kind: Option<Kind>) -> Result<Vec<u8>, Diagnostics> {
        let kind = kind.unwrap_or_else(|| match document {
            Value::Object(m) if m.contains_key("site") => Kind::Edge,
            Value::Object(m) if m.contains_key("fit") || m.contains_key("engagement") => {
                Kind::Model
            }
            _ => Kind::Site,
        });
        match kind {
            Kind::Model => compile_model(document),
            Kind::Site => compile_site(document),
            Kind::Edge => compile_edge(document),
        }
    }
}

#[cfg(all(test, feature = "config-compiler"))]
mod drift;
#[cfg(all(test, feature = "config-compiler"))]
mod tests;
