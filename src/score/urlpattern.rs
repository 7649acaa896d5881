//! URL patterns for touchpoints and rules: a glob where `*` stands for any run
//! of characters. Patterns match the path of a URL (or the whole URL when they
//! start with `http`), without query string or fragment, ignoring case and a
//! trailing slash, because that is how marketers think of "the pricing page".

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UrlPattern {
    whole_url: bool,
    anchored_start: bool,
    anchored_end: bool,
    /// The literal pieces between the stars, lower-cased.
    pieces: Vec<String>,
}

impl crate::compiled::read::WireRead for UrlPattern {
    fn read(w: &mut crate::compiled::read::Wire<'_>) -> Self {
        UrlPattern {
            whole_url: w.read(),
            anchored_start: w.read(),
            anchored_end: w.read(),
            pieces: w.read(),
        }
    }
}

impl UrlPattern {
    pub fn compile(pattern: &str) -> Self {
        let normalized = normalize(pattern.trim());
        let whole_url = normalized.starts_with("http:") || normalized.starts_with("https:");
        let anchored_start = !normalized.starts_with('*');
        let anchored_end = !normalized.ends_with('*');
        let pieces = normalized
            .split('*')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        Self {
            whole_url,
            anchored_start,
            anchored_end,
            pieces,
        }
    }

    /// Why this pattern cannot match any page, if it cannot.
    pub fn never_matches(pattern: &str) -> Option<&'static str> {
        let p = pattern.trim();
        if p.is_empty() {
            return Some("an empty pattern matches no page (use \"*\" for every page)");
        }
        if p.chars().any(char::is_whitespace) {
            return Some("URLs contain no spaces, so this pattern never matches");
        }
        if !(p.starts_with('/') || p.starts_with('*') || p.starts_with("http")) {
            return Some("paths start with '/', so this pattern never matches (did you mean \"/…\" or \"*…\"?)");
        }
        if p.contains('?') || p.contains('#') {
            return Some("query strings and fragments are removed before matching, so this pattern never matches");
        }
        None
    }

    /// `url` as it came in an event: a path or an absolute URL.
    pub fn matches(&self, url: &str) -> bool {
        let subject = if self.whole_url {
            normalize(strip_query(url))
        } else {
            normalize(path_of(url))
        };
        self.matches_subject(&subject)
    }

    /// Like [`matches`](Self::matches) for a URL normalized beforehand, so
    /// that an event matched against hundreds of rules is lower-cased and
    /// split once, not once per rule.
    pub fn matches_normalized(&self, url: &NormalizedUrl<'_>) -> bool {
        let subject = if self.whole_url {
            &url.whole
        } else {
            &url.path
        };
        self.matches_subject(subject)
    }

    fn matches_subject(&self, subject: &str) -> bool {
        glob(
            subject,
            &self.pieces,
            self.anchored_start,
            self.anchored_end,
        )
    }
}

/// An event's URL in both forms patterns match against: its normalized path
/// and its normalized whole URL without query and fragment. Borrowed from
/// the event when normalizing changes nothing.
#[derive(Debug, Clone)]
pub struct NormalizedUrl<'a> {
    path: Cow<'a, str>,
    whole: Cow<'a, str>,
}

impl<'a> NormalizedUrl<'a> {
    pub fn new(url: &'a str) -> Self {
        Self {
            path: normalize(path_of(url)),
            whole: normalize(strip_query(url)),
        }
    }
}

fn strip_query(url: &str) -> &str {
    // A byte scan: `find` with a set of chars decodes every char, and this
    // runs once per event. Both are ASCII, so the cut is a char boundary.
    let end = url
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .unwrap_or(url.len());
    url.get(..end).unwrap_or(url)
}

/// The path of an absolute or protocol-relative URL, or the input when it is
/// already a path.
pub fn path_of(url: &str) -> &str {
    let url = strip_query(url.trim());
    let after_scheme = match url.find("://") {
        Some(at) => url.get(at + 3..).unwrap_or(""),
        None => match url.strip_prefix("//") {
            Some(rest) => rest,
            None => return url,
        },
    };
    match after_scheme.find('/') {
        Some(at) => after_scheme.get(at..).unwrap_or("/"),
        None => "/",
    }
}

/// Lower-cased without its trailing slashes; borrowed when that changes
/// nothing but the slashes, so matching a lower-case path allocates nothing.
fn normalize(text: &str) -> Cow<'_, str> {
    match super::event::lower(text) {
        Cow::Borrowed(lower) if lower.len() > 1 => Cow::Borrowed(lower.trim_end_matches('/')),
        Cow::Owned(lower) if lower.len() > 1 && lower.ends_with('/') => {
            Cow::Owned(lower.trim_end_matches('/').to_string())
        }
        other => other,
    }
}

fn glob(subject: &str, pieces: &[String], anchored_start: bool, anchored_end: bool) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        // Only stars (matches everything) or empty (matches only "").
        return !(anchored_start && anchored_end) || subject.is_empty();
    };
    let mut remaining = subject;
    if anchored_start {
        match remaining.strip_prefix(first.as_str()) {
            Some(r) => remaining = r,
            None => return false,
        }
        if rest.is_empty() {
            return !anchored_end || remaining.is_empty();
        }
    } else if rest.is_empty() && anchored_end {
        return remaining.ends_with(first.as_str());
    } else {
        match remaining.find(first.as_str()) {
            Some(at) => remaining = remaining.get(at + first.len()..).unwrap_or(""),
            None => return false,
        }
        if rest.is_empty() {
            return true;
        }
    }
    let Some((last, middle)) = rest.split_last() else {
        return true;
    };
    for piece in middle {
        match remaining.find(piece.as_str()) {
            Some(at) => remaining = remaining.get(at + piece.len()..).unwrap_or(""),
            None => return false,
        }
    }
    if anchored_end {
        remaining.ends_with(last.as_str())
    } else {
        remaining.contains(last.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, url: &str) -> bool {
        UrlPattern::compile(pattern).matches(url)
    }

    #[test]
    fn paths_and_urls() {
        assert!(m("/pricing", "/pricing"));
        assert!(m("/pricing", "/pricing/"));
        assert!(m("/pricing", "https://acme.example/Pricing?plan=pro#faq"));
        assert!(!m("/pricing", "/pricing/enterprise"));
        assert!(m("/pricing*", "/pricing/enterprise"));
        assert!(m("/case-studies/*", "/case-studies/petrochina"));
        assert!(!m("/case-studies/*", "/blog/case-studies-we-love"));
        assert!(m("*/case-studies/*", "/zh/case-studies/x"));
        assert!(m("*careers*", "https://acme.example/about/careers"));
        assert!(m("*", "/anything"));
        assert!(m("/", "https://acme.example"));
        assert!(m("/a*b*c", "/a-x-b-y-c"));
        assert!(!m("/a*b*c", "/a-x-c-y-b"));
        assert!(m("https://acme.example/*", "https://ACME.example/x?y"));
        assert!(!m("https://acme.example/*", "/x"));
        assert!(m("*.pdf", "/files/report.PDF"));
    }

    #[test]
    fn normalized_once_matches_like_each_time() {
        let urls = [
            "/pricing",
            "/Pricing/",
            "https://acme.example/Pricing?plan=pro#faq",
            "//cdn.acme.example/files/Report.PDF",
            " /case-studies/x ",
            "https://ACME.example",
            "/ünïcode/Straße",
            "",
            "/",
        ];
        let patterns = [
            "/pricing",
            "/pricing*",
            "*.pdf",
            "https://acme.example/*",
            "/case-studies/*",
            "*",
            "/",
            "/ünïcode/*",
        ];
        for url in urls {
            let once = NormalizedUrl::new(url);
            for pattern in patterns {
                let p = UrlPattern::compile(pattern);
                assert_eq!(
                    p.matches_normalized(&once),
                    p.matches(url),
                    "{pattern} on {url:?}"
                );
            }
        }
    }

    #[test]
    fn explains_patterns_that_cannot_match() {
        assert!(UrlPattern::never_matches("pricing").is_some());
        assert!(UrlPattern::never_matches("/pricing?plan=x").is_some());
        assert!(UrlPattern::never_matches("/price list").is_some());
        assert!(UrlPattern::never_matches("").is_some());
        assert!(UrlPattern::never_matches("/pricing*").is_none());
        assert!(UrlPattern::never_matches("*pdf").is_none());
    }
}
