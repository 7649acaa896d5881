//! The built-in negative checks: free, disposable and role mailboxes, fake
//! phones, a missing company, students, job seekers and competitors.

use crate::json::{Map, Value};

use super::{dotted_field, text_field};
use crate::compiled::read::{Wire, WireRead};
use crate::diagnostics::{number_text, Diagnostics, Issue};
use crate::email::{self, MailboxKind};
use crate::score::config::{self, FieldNames, NegativeConfig};
use crate::score::result::FitPoint;

const STUDENT_TERMS: &[&str] = &[
    "student",
    "intern",
    "undergraduate",
    "graduate student",
    "phd candidate",
    "学生",
    "學生",
    "实习",
    "實習",
    "研究生",
];
const JOB_SEEKER_TERMS: &[&str] = &[
    "job seeker",
    "jobseeker",
    "looking for",
    "seeking",
    "open to work",
    "unemployed",
    "between jobs",
    "求职",
    "求職",
    "待业",
    "待業",
];
/// Company names that mean "none": people type these to get past a form.
const PLACEHOLDER_COMPANIES: &[&str] = &[
    "-",
    ".",
    "n/a",
    "na",
    "none",
    "nil",
    "null",
    "no",
    "test",
    "asdf",
    "xxx",
    "self",
    "self-employed",
    "individual",
    "personal",
    "private",
    "home",
    "student",
    "无",
    "無",
    "个人",
    "個人",
];

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct NegativeChecks {
    free_email: Option<f64>,
    disposable_email: Option<f64>,
    role_email: Option<f64>,
    fake_phone: Option<f64>,
    missing_company: Option<f64>,
    student: Option<(f64, Vec<String>)>,
    job_seeker: Option<(f64, Vec<String>)>,
    competitor: Option<(f64, Vec<String>)>,
}

impl WireRead for NegativeChecks {
    fn read(w: &mut Wire<'_>) -> Self {
        NegativeChecks {
            free_email: w.read(),
            disposable_email: w.read(),
            role_email: w.read(),
            fake_phone: w.read(),
            missing_company: w.read(),
            student: w.read(),
            job_seeker: w.read(),
            competitor: w.read(),
        }
    }
}

impl NegativeChecks {
    pub fn compile(config: &NegativeConfig, d: &mut Diagnostics) -> Self {
        let mut warn_positive = |name: &str, points: f64| {
            if points > 0.0 {
                d.push(Issue::warning(format!("fit.negative.{name}.points"), {
                    let points = number_text(points);
                    format!("a negative check that adds {points} points: did you mean -{points}?")
                }));
            }
        };
        let simple = |name: &str, p: &Option<config::Penalty>, warn: &mut dyn FnMut(&str, f64)| {
            p.as_ref().map(|p| {
                warn(name, p.points);
                p.points
            })
        };
        let terms = |t: &Option<config::TermPenalty>, defaults: &[&str]| {
            t.as_ref().map(|t| {
                let list = match &t.terms {
                    Some(custom) => custom
                        .iter()
                        .map(|s| crate::text::lowercase(s.trim()))
                        .collect(),
                    None => defaults.iter().map(|s| s.to_string()).collect(),
                };
                (t.points, list)
            })
        };
        let checks = NegativeChecks {
            free_email: simple("freeEmail", &config.free_email, &mut warn_positive),
            disposable_email: simple(
                "disposableEmail",
                &config.disposable_email,
                &mut warn_positive,
            ),
            role_email: simple("roleEmail", &config.role_email, &mut warn_positive),
            fake_phone: simple("fakePhone", &config.fake_phone, &mut warn_positive),
            missing_company: simple(
                "missingCompany",
                &config.missing_company,
                &mut warn_positive,
            ),
            student: terms(&config.student, STUDENT_TERMS),
            job_seeker: terms(&config.job_seeker, JOB_SEEKER_TERMS),
            competitor: config.competitor.as_ref().map(|c| {
                (
                    c.points,
                    c.domains
                        .iter()
                        .map(|d| crate::text::lowercase(d.trim().trim_start_matches('@')))
                        .collect(),
                )
            }),
        };
        for (name, points) in [
            ("student", checks.student.as_ref().map(|s| s.0)),
            ("jobSeeker", checks.job_seeker.as_ref().map(|s| s.0)),
            ("competitor", checks.competitor.as_ref().map(|s| s.0)),
        ] {
            if let Some(points) = points {
                warn_positive(name, points);
            }
        }
        if checks.competitor.as_ref().is_some_and(|c| c.1.is_empty()) {
            d.push(Issue::warning(
                "fit.negative.competitor.domains",
                "an empty list never matches",
            ));
        }
        checks
    }

    pub(super) fn apply(
        &self,
        profile: &Map<String, Value>,
        fields: &FieldNames,
        out: &mut Vec<FitPoint>,
    ) {
        let email = text_field(profile, &fields.email)
            .map(str::trim)
            .filter(|e| !e.is_empty());
        let kind = email.and_then(email::classify);
        let domain = email.and_then(email::split_address).map(|(_, d)| d);
        let mut push = |rule: &str, field: &str, value: Value, points: f64| {
            out.push(FitPoint {
                rule: ["negative.", rule].concat(),
                label: None,
                field: field.to_string(),
                value,
                points,
            })
        };
        let email_value = || Value::String(email.unwrap_or_default().to_string());
        match (
            kind,
            self.free_email,
            self.disposable_email,
            self.role_email,
        ) {
            (Some(MailboxKind::Free), Some(p), _, _) => {
                push("freeEmail", &fields.email, email_value(), p)
            }
            (Some(MailboxKind::Disposable), _, Some(p), _) => {
                push("disposableEmail", &fields.email, email_value(), p)
            }
            (Some(MailboxKind::Role), _, _, Some(p)) => {
                push("roleEmail", &fields.email, email_value(), p)
            }
            _ => {}
        }
        if let Some(points) = self.fake_phone {
            if let Some(value) = dotted_field(profile, &fields.phone) {
                let fake = match value {
                    Value::String(s) => is_fake_phone(s),
                    Value::Number(n) => is_fake_phone(&crate::targeting::json_number_text(n)),
                    Value::Null => true,
                    _ => true,
                };
                if fake {
                    push("fakePhone", &fields.phone, value.clone(), points);
                }
            }
        }
        if let (Some(points), Some(_)) = (self.missing_company, email) {
            let company =
                text_field(profile, &fields.company).map(|c| crate::text::lowercase(c.trim()));
            let missing = match &company {
                None => true,
                Some(c) => c.is_empty() || PLACEHOLDER_COMPANIES.contains(&c.as_str()),
            };
            if missing {
                let value = company.map(Value::String).unwrap_or(Value::Null);
                push("missingCompany", &fields.company, value, points);
            }
        }
        let by_terms = |terms: &[String]| -> Option<(&str, String)> {
            for field in [&fields.title, &fields.role] {
                if let Some(text) = text_field(profile, field) {
                    let lower = crate::text::lowercase(text);
                    if terms
                        .iter()
                        .any(|t| !t.is_empty() && lower.contains(t.as_str()))
                    {
                        return Some((field.as_str(), text.to_string()));
                    }
                }
            }
            None
        };
        if let Some((points, terms)) = &self.student {
            if let Some((field, text)) = by_terms(terms) {
                push("student", field, Value::String(text), *points);
            } else if let Some(d) = domain.as_deref().filter(|d| email::is_academic_domain(d)) {
                push(
                    "student",
                    &fields.email,
                    Value::String(d.to_string()),
                    *points,
                );
            }
        }
        if let Some((points, terms)) = &self.job_seeker {
            if let Some((field, text)) = by_terms(terms) {
                push("jobSeeker", field, Value::String(text), *points);
            } else if profile.get("jobSeeker").and_then(Value::as_bool) == Some(true) {
                push("jobSeeker", "jobSeeker", Value::Bool(true), *points);
            }
        }
        if let Some((points, domains)) = &self.competitor {
            let website = text_field(profile, &fields.website).map(website_domain);
            for (field, candidate) in [(&fields.email, domain.clone()), (&fields.website, website)]
            {
                if let Some(d) = candidate {
                    if domains.iter().any(|c| d == *c || is_subdomain_of(&d, c)) {
                        push("competitor", field, Value::String(d), *points);
                        break;
                    }
                }
            }
        }
    }
}

fn website_domain(url: &str) -> String {
    let lower = crate::text::lowercase(url.trim());
    let rest = lower.split_once("://").map_or(lower.as_str(), |(_, r)| r);
    let host = rest.split(['/', '?', '#', ':']).next().unwrap_or(rest);
    host.trim_start_matches("www.").to_string()
}

/// A phone number nobody answers: empty, too few or too many digits for any
/// numbering plan (E.164 allows at most 15), one digit repeated, or a
/// straight run such as 123456789 or 987654321.
pub fn is_fake_phone(text: &str) -> bool {
    let digits: Vec<u8> = text
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    if digits.len() < 7 || digits.len() > 15 {
        return true;
    }
    // Judge the subscriber part: country codes and trunk prefixes repeat
    // digits in real numbers (+86 10 ...), so look at the last seven.
    let tail = digits.get(digits.len() - 7..).unwrap_or(&digits);
    let all_same = tail.windows(2).all(|w| w.first() == w.get(1));
    let ascending = tail
        .windows(2)
        .all(|w| matches!((w.first(), w.get(1)), (Some(a), Some(b)) if (a + 1) % 10 == *b));
    let descending = tail
        .windows(2)
        .all(|w| matches!((w.first(), w.get(1)), (Some(a), Some(b)) if (b + 1) % 10 == *a));
    all_same || ascending || descending
}
/// `domain` is a subdomain of `parent`: it ends with `.` + `parent`.
fn is_subdomain_of(domain: &str, parent: &str) -> bool {
    domain
        .strip_suffix(parent)
        .is_some_and(|head| head.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_phones() {
        for fake in [
            "",
            "12345",
            "1111111",
            "+86 123 4567 8901 2345 6",
            "0000000000",
            "123-456-7890",
            "987654321",
            "+1 555 555 5555",
        ] {
            assert!(is_fake_phone(fake), "{fake} should be fake");
        }
        for real in [
            "+86 10 5998 6000",
            "+1 415 555 0132",
            "(020) 7946 0958",
            "+852 2820 5300",
        ] {
            assert!(!is_fake_phone(real), "{real} should pass");
        }
    }

    #[test]
    fn website_domains() {
        assert_eq!(
            website_domain("https://www.Rival.example/about"),
            "rival.example"
        );
        assert_eq!(website_domain("rival.example:8080"), "rival.example");
    }
}
