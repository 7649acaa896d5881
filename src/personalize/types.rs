//! What deciding returns: one [`Decision`] per slot, with its [`Reason`].

use crate::json::Value;
use serde::Serialize;

use super::{ContentKind, Recommendation};

/// Why a slot got its variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReasonKind {
    Segment,
    Rule,
    Experiment,
    Holdout,
    Fallback,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    pub kind: ReasonKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment: Option<String>,
    /// The visitor's hash in `[0, 1)` (experiment and holdout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variation_index: Option<usize>,
}

impl Reason {
    pub(super) fn of(kind: ReasonKind) -> Reason {
        Reason {
            kind,
            segment: None,
            experiment: None,
            bucket: None,
            variation_index: None,
        }
    }
}

/// What one slot shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Decision {
    pub slot: String,
    /// The variant id, or `"default"`.
    pub variant: String,
    pub kind: ContentKind,
    /// The content as configured; `null` means "leave the page as it is".
    pub content: Value,
    pub reason: Reason,
}

/// Everything decided for one visitor.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Decisions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Matching segments, highest priority first.
    pub segments: Vec<String>,
    pub primary_segment: Option<String>,
    pub decisions: Vec<Decision>,
    pub recommendations: Vec<Recommendation>,
}

impl Decisions {
    /// The JSON text serde_json writes for these decisions, written
    /// directly.
    ///
    /// NOTE: the wasm build hands decisions to JS as JSON text; through
    /// serde's generic serializer every key and string went through several
    /// calls that a size-optimized build does not inline, and writing
    /// took as long as deciding. Numbers, enums and non-string content
    /// still go through serde_json, so the text is the same.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut out = JsonText(Vec::with_capacity(1024));
        out.0.push(b'{');
        if let Some(version) = &self.version {
            out.key("version", true);
            out.string(version)?;
        }
        out.key("segments", self.version.is_none());
        out.list(&self.segments, |out, s| out.string(s))?;
        out.key("primarySegment", false);
        match &self.primary_segment {
            Some(s) => out.string(s)?,
            None => out.0.extend_from_slice(b"null"),
        }
        out.key("decisions", false);
        out.list(&self.decisions, |out, d| {
            out.0.push(b'{');
            out.key("slot", true);
            out.string(&d.slot)?;
            out.key("variant", false);
            out.string(&d.variant)?;
            out.key("kind", false);
            out.serde(&d.kind)?;
            out.key("content", false);
            match &d.content {
                Value::String(s) => out.string(s)?,
                other => out.serde(other)?,
            }
            out.key("reason", false);
            let r = &d.reason;
            out.0.push(b'{');
            out.key("kind", true);
            out.serde(&r.kind)?;
            if let Some(s) = &r.segment {
                out.key("segment", false);
                out.string(s)?;
            }
            if let Some(e) = &r.experiment {
                out.key("experiment", false);
                out.string(e)?;
            }
            if let Some(b) = r.bucket {
                out.key("bucket", false);
                out.serde(&b)?;
            }
            if let Some(i) = r.variation_index {
                out.key("variationIndex", false);
                out.serde(&i)?;
            }
            out.0.extend_from_slice(b"}}");
            Ok(())
        })?;
        out.key("recommendations", false);
        out.list(&self.recommendations, |out, r| {
            out.0.push(b'{');
            out.key("id", true);
            out.string(&r.id)?;
            if let Some(t) = &r.title {
                out.key("title", false);
                out.string(t)?;
            }
            if let Some(u) = &r.url {
                out.key("url", false);
                out.string(u)?;
            }
            out.key("type", false);
            out.serde(&r.kind)?;
            if let Some(s) = &r.stage {
                out.key("stage", false);
                out.serde(s)?;
            }
            out.key("score", false);
            out.serde(&r.score)?;
            out.key("reasons", false);
            out.list(&r.reasons, |out, why| {
                out.0.push(b'{');
                out.key("factor", true);
                out.string(why.factor)?;
                out.key("value", false);
                out.string(&why.value)?;
                out.key("points", false);
                out.serde(&why.points)?;
                out.0.push(b'}');
                Ok(())
            })?;
            out.0.push(b'}');
            Ok(())
        })?;
        out.0.push(b'}');
        // Only whole UTF-8 strings and serde_json's own text were written.
        String::from_utf8(out.0).map_err(serde::ser::Error::custom)
    }
}

/// JSON text being written.
struct JsonText(Vec<u8>);

impl JsonText {
    fn key(&mut self, key: &str, first: bool) {
        if !first {
            self.0.push(b',');
        }
        self.0.push(b'"');
        self.0.extend_from_slice(key.as_bytes());
        self.0.extend_from_slice(b"\":");
    }

    /// A string, copied as it is unless it needs escapes.
    fn string(&mut self, s: &str) -> Result<(), serde_json::Error> {
        if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            self.0.push(b'"');
            self.0.extend_from_slice(s.as_bytes());
            self.0.push(b'"');
            Ok(())
        } else {
            self.serde(s)
        }
    }

    fn serde<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), serde_json::Error> {
        serde_json::to_writer(&mut self.0, value)
    }

    fn list<T>(
        &mut self,
        items: &[T],
        mut write: impl FnMut(&mut Self, &T) -> Result<(), serde_json::Error>,
    ) -> Result<(), serde_json::Error> {
        self.0.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            write(self, item)?;
        }
        self.0.push(b']');
        Ok(())
    }
}
