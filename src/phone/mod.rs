//! Phone numbers: normalization to E.164 and validation per region.
//!
//! With the `phone-metadata` feature (the default), numbers are judged by
//! libphonenumber's metadata through the `phonenumber` crate: the same
//! verdicts as Google's library. Without it, a lighter check runs that needs
//! only a small table generated from the same metadata (`regions.rs`): the
//! E.164 shape, the country calling code, the national prefix and the number
//! lengths possible in the region. Both flag fake patterns (`5555555`,
//! `1234567`) through [`crate::score::fit::is_fake_phone`]; a fake number is
//! still a valid one, it feeds negative fit instead of being refused.

mod regions;

use crate::score::fit::is_fake_phone;

/// Longest input looked at. libphonenumber refuses more than 250 characters;
/// no real number written with separators and an extension comes near 64.
pub const MAX_INPUT_LEN: usize = 64;

/// Why a number is not usable, in stable `snake_case` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PhoneProblem {
    Empty,
    TooLong,
    /// Letters or symbols other than digits, `+` and the usual separators.
    InvalidCharacters,
    /// No `+` or `00` and no default region to read it in.
    MissingRegion,
    /// The default region is not a known ISO 3166 region code.
    UnknownRegion,
    /// The calling code after `+` is not assigned.
    InvalidCountryCode,
    /// Too few or too many digits for the region.
    InvalidLength,
    /// The right length, but not a number the region assigns.
    InvalidNumber,
}

/// The answer of [`check_phone`] (`checkPhone()` in JavaScript).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PhoneCheck {
    pub valid: bool,
    /// `+8613800138000`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e164: Option<String>,
    /// ISO 3166 region (`CN`), or `001` for non-geographic numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<PhoneProblem>,
    /// A repeated or running pattern: valid, but fit scoring counts it as fake.
    pub fake: bool,
}

impl PhoneCheck {
    fn invalid(reason: PhoneProblem) -> Self {
        PhoneCheck {
            valid: false,
            e164: None,
            region: None,
            reason: Some(reason),
            fake: false,
        }
    }
}

/// What is left of an input after separators are dropped.
struct Cleaned {
    /// Written with `+` (or `00`, the most common international prefix).
    international: bool,
    digits: String,
}

/// Keeps digits (full-width ones too, as typed on Chinese and Japanese
/// keyboards) and a leading `+`; drops spaces, `-`, `.`, `/`, brackets and
/// direction marks; refuses anything else. A trailing extension (`ext. 12`,
/// `x12`, `#12`) is dropped, as libphonenumber keeps it apart from the number.
fn clean(input: &str) -> Result<Cleaned, PhoneProblem> {
    if input.len() > MAX_INPUT_LEN * 4 {
        return Err(PhoneProblem::TooLong);
    }
    let text = input.trim();
    if text.is_empty() {
        return Err(PhoneProblem::Empty);
    }
    if text.chars().count() > MAX_INPUT_LEN {
        return Err(PhoneProblem::TooLong);
    }
    let lower = text.to_lowercase();
    let number_part = ["ext.", "ext", "x", "#", "分机", "分機", "轉", "转"]
        .iter()
        .filter_map(|marker| lower.find(marker))
        .min()
        .and_then(|at| lower.get(..at))
        .unwrap_or(&lower);
    let mut digits = String::new();
    let mut plus = false;
    for c in number_part.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '０'..='９' => {
                let d = (c as u32 - '０' as u32) as u8;
                digits.push(char::from(b'0' + d));
            }
            '+' | '＋' if digits.is_empty() && !plus => plus = true,
            ' '
            | '-'
            | '.'
            | '/'
            | '('
            | ')'
            | '\u{a0}'
            | '\u{2010}'..='\u{2015}'
            | '\u{200e}'
            | '\u{200f}'
            | '（'
            | '）'
            | '－'
            | '\t' => {}
            _ => return Err(PhoneProblem::InvalidCharacters),
        }
    }
    if digits.is_empty() {
        return Err(PhoneProblem::Empty);
    }
    if !plus {
        if let Some(rest) = digits.strip_prefix("00") {
            return Ok(Cleaned {
                international: true,
                digits: rest.to_string(),
            });
        }
    }
    // E.164 allows 15 digits; national formats may add a trunk prefix.
    if digits.len() > 17 {
        return Err(PhoneProblem::InvalidLength);
    }
    Ok(Cleaned {
        international: plus,
        digits,
    })
}

fn normalize_region(region: Option<&str>) -> Result<Option<String>, PhoneProblem> {
    match region.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) => {
            let upper = r.to_ascii_uppercase();
            if regions::REGIONS.iter().any(|row| row.0 == upper) {
                Ok(Some(upper))
            } else {
                Err(PhoneProblem::UnknownRegion)
            }
        }
    }
}

/// Checks and normalizes a phone number. `default_region` (ISO 3166, e.g.
/// `CN`) reads numbers written without `+`; it may be `None` when every
/// number is written internationally.
pub fn check_phone(number: &str, default_region: Option<&str>) -> PhoneCheck {
    let cleaned = match clean(number) {
        Ok(c) => c,
        Err(reason) => return PhoneCheck::invalid(reason),
    };
    let region = match normalize_region(default_region) {
        Ok(r) => r,
        Err(reason) => return PhoneCheck::invalid(reason),
    };
    if !cleaned.international && region.is_none() {
        return PhoneCheck::invalid(PhoneProblem::MissingRegion);
    }
    let mut check = judge(&cleaned, region.as_deref());
    check.fake = is_fake_phone(check.e164.as_deref().unwrap_or(&cleaned.digits));
    check
}

#[cfg(feature = "phone-metadata")]
fn judge(cleaned: &Cleaned, region: Option<&str>) -> PhoneCheck {
    use phonenumber::{country, Mode};
    // With a `+`, the default region must not matter; the port lets it
    // interfere (`+39 02 ...` read with `CN` loses the Italian zero).
    let (id, text): (Option<country::Id>, String) = if cleaned.international {
        (None, format!("+{}", cleaned.digits))
    } else {
        (region.and_then(|r| r.parse().ok()), cleaned.digits.clone())
    };
    let parsed = phonenumber::parse(id, &text).ok().filter(|p| p.is_valid());
    let Some(parsed) = parsed else {
        // The port strips a national prefix of `8` from international
        // numbers (`+7 800 ...`, `+370 800 ...`); judge those by the
        // metadata's own patterns instead.
        let split = if cleaned.international {
            split_calling_code(&cleaned.digits)
        } else {
            region
                .and_then(|r| regions::REGIONS.iter().find(|row| row.0 == r))
                .map(|row| {
                    let national = cleaned.digits.as_str();
                    let national = match national.strip_prefix(row.2) {
                        Some(rest) if !row.2.is_empty() => rest,
                        _ => national,
                    };
                    (row.1, national)
                })
        };
        if let Some(found) = split.and_then(|(code, national)| metadata_match(code, national)) {
            return found;
        }
        // Tell a length problem apart from an unassigned number, with the
        // light table: the answer a person can act on.
        let reason = match light_judge(cleaned, region).reason {
            Some(r @ (PhoneProblem::InvalidLength | PhoneProblem::InvalidCountryCode)) => r,
            _ => PhoneProblem::InvalidNumber,
        };
        return PhoneCheck::invalid(reason);
    };
    let e164 = parsed.format().mode(Mode::E164).to_string();
    // The port loses the region of numbers with an Italian leading zero;
    // the light table's leading digits find it again.
    let region = parsed
        .country()
        .id()
        .map(|id| id.as_ref().to_string())
        .or_else(|| light_judge(cleaned, region).region)
        .or_else(|| Some("001".to_string()));
    PhoneCheck {
        valid: true,
        e164: Some(e164),
        region,
        reason: None,
        fake: false,
    }
}

/// libphonenumber's "valid for region" test on the national number: one of
/// the region's number types matches it, length and pattern.
#[cfg(feature = "phone-metadata")]
fn metadata_match(code: u16, national: &str) -> Option<PhoneCheck> {
    use phonenumber::metadata::DATABASE;
    use phonenumber::Type;
    const KINDS: [Type; 10] = [
        Type::FixedLine,
        Type::Mobile,
        Type::TollFree,
        Type::PremiumRate,
        Type::SharedCost,
        Type::PersonalNumber,
        Type::Voip,
        Type::Pager,
        Type::Uan,
        Type::Voicemail,
    ];
    let metas = DATABASE.by_code(&code)?;
    let meta = metas.into_iter().find(|meta| {
        meta.descriptors().general().is_match(national)
            && KINDS.iter().any(|kind| {
                meta.descriptors()
                    .get(*kind)
                    .is_some_and(|d| d.is_match(national))
            })
    })?;
    Some(PhoneCheck {
        valid: true,
        e164: Some(format!("+{code}{national}")),
        region: Some(meta.id().to_string()),
        reason: None,
        fake: false,
    })
}

#[cfg(not(feature = "phone-metadata"))]
fn judge(cleaned: &Cleaned, region: Option<&str>) -> PhoneCheck {
    light_judge(cleaned, region)
}

/// Calling codes are prefix-free and one to three digits long.
fn split_calling_code(digits: &str) -> Option<(u16, &str)> {
    (1..=3).find_map(|n| {
        let code: u16 = digits.get(..n)?.parse().ok()?;
        regions::REGIONS
            .iter()
            .any(|row| row.1 == code)
            .then(|| (code, digits.get(n..).unwrap_or("")))
    })
}

type Row = (&'static str, u16, &'static str, bool, &'static str, u32);

fn length_ok(row: &Row, len: usize) -> bool {
    len < 32 && row.5 & (1u32 << len) != 0
}

/// The light check: calling code, national prefix, possible lengths.
fn light_judge(cleaned: &Cleaned, region: Option<&str>) -> PhoneCheck {
    let digits = cleaned.digits.as_str();
    let (code, national): (u16, String) = if cleaned.international {
        match split_calling_code(digits) {
            Some((code, national)) => (code, national.to_string()),
            None => return PhoneCheck::invalid(PhoneProblem::InvalidCountryCode),
        }
    } else {
        let Some(row) = region.and_then(|r| regions::REGIONS.iter().find(|row| row.0 == r)) else {
            return PhoneCheck::invalid(PhoneProblem::MissingRegion);
        };
        let national = match digits.strip_prefix(row.2).filter(|_| !row.2.is_empty()) {
            Some(rest) if length_ok(row, rest.len()) => rest,
            _ => digits,
        };
        (row.1, national.to_string())
    };
    let mut candidates: Vec<&Row> = regions::REGIONS
        .iter()
        .filter(|row| row.1 == code)
        .collect();
    // A region that claims the leading digits first, then the main region
    // of the code, then the others.
    candidates.sort_by_key(|row| (row.4.is_empty(), !row.3));
    // Some regions keep their trunk prefix in international format (Italy's
    // 0), most drop it; a `+44 0 20 ...` is still understood.
    let fits = |n: &str| {
        candidates
            .iter()
            .copied()
            .filter(|row| length_ok(row, n.len()))
            .find(|row| leading_digits_match(row, n))
    };
    let (national, row) = match fits(&national) {
        Some(row) => (national, row),
        None => {
            let stripped = candidates.iter().find_map(|row| {
                let rest = national.strip_prefix(row.2).filter(|_| !row.2.is_empty())?;
                fits(rest).map(|r| (rest.to_string(), r))
            });
            match stripped {
                Some(found) => found,
                None => return PhoneCheck::invalid(PhoneProblem::InvalidLength),
            }
        }
    };
    PhoneCheck {
        valid: true,
        e164: Some(format!("+{code}{national}")),
        region: Some(row.0.to_string()),
        reason: None,
        fake: false,
    }
}

/// Shared calling codes (+1, +7, +44 ...) tell regions apart by leading
/// digits; the main region of a code takes what no other region claims.
fn leading_digits_match(row: &Row, national: &str) -> bool {
    if row.4.is_empty() {
        return true;
    }
    let Ok(re) = crate::regex::Regex::rust(&format!("^(?:{})", row.4)) else {
        return false;
    };
    re.is_match(national)
}

/// Every region code the metadata knows (ISO 3166 plus `001`).
pub fn region_codes() -> impl Iterator<Item = &'static str> {
    regions::REGIONS.iter().map(|row| row.0)
}

/// The calling code of a region (`CN` → 86).
pub fn calling_code(region: &str) -> Option<u16> {
    regions::REGIONS
        .iter()
        .find(|row| row.0.eq_ignore_ascii_case(region))
        .map(|row| row.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_common_forms() {
        for (input, region, e164) in [
            ("+86 138 0013 8000", None, "+8613800138000"),
            ("138-0013-8000", Some("CN"), "+8613800138000"),
            ("0086 13800138000", None, "+8613800138000"),
            ("(650) 253-0000", Some("US"), "+16502530000"),
            ("020 7946 0018", Some("gb"), "+442079460018"),
            ("＋８６ １３８００１３８０００", None, "+8613800138000"),
        ] {
            let c = check_phone(input, region);
            assert!(c.valid, "{input}: {c:?}");
            assert_eq!(c.e164.as_deref(), Some(e164), "{input}");
        }
    }

    #[test]
    fn light_check_agrees_on_simple_numbers() {
        let c = light_judge(
            &Cleaned {
                international: true,
                digits: "12684601234".into(),
            },
            None,
        );
        assert_eq!(c.region.as_deref(), Some("AG"));
        let c = light_judge(
            &Cleaned {
                international: false,
                digits: "02079460018".into(),
            },
            Some("GB"),
        );
        assert_eq!(c.e164.as_deref(), Some("+442079460018"));
    }

    #[test]
    fn refuses_with_a_reason() {
        for (input, region, reason) in [
            ("", Some("CN"), PhoneProblem::Empty),
            ("call me", Some("CN"), PhoneProblem::InvalidCharacters),
            ("13800138000", None, PhoneProblem::MissingRegion),
            ("13800138000", Some("ZZ"), PhoneProblem::UnknownRegion),
            ("+999 1234 5678", None, PhoneProblem::InvalidCountryCode),
            ("+86 138", None, PhoneProblem::InvalidLength),
        ] {
            assert_eq!(check_phone(input, region).reason, Some(reason), "{input}");
        }
        assert_eq!(
            check_phone(&"1".repeat(10_000_000), Some("CN")).reason,
            Some(PhoneProblem::TooLong)
        );
    }

    #[test]
    fn fake_patterns_are_valid_but_flagged() {
        let c = check_phone("+1 212 555 5555", None);
        assert!(c.fake, "{c:?}");
    }
}
