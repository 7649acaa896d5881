//! The scoring model as its author writes it in JSON. These types only mirror
//! the document; [`super::compile`] checks what serde cannot (ranges,
//! ordering, regexes) and turns it into the form that scores.

use crate::json::Value;
use serde::{Deserialize, Serialize};

/// A lead scoring model for nurture: fit rules over profile fields, engagement
/// rules over events, grades, tiers, stages and the MQL rule. Every part is
/// optional; the built-in model is `defaultModel()`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ModelConfig {
    /// The JSON Schema this document follows, for editors; the loader ignores it.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Format version of the document; only 1 exists.
    #[serde(default = "one")]
    #[cfg_attr(feature = "schema", schemars(extend("const" = 1)))]
    pub version: u32,
    /// Name of the model, echoed in results.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub fit: FitConfig,
    #[serde(default)]
    pub engagement: EngagementConfig,
    #[serde(default)]
    pub tiers: TierThresholds,
    #[serde(default)]
    pub stages: StageThresholds,
    #[serde(default)]
    pub mql: MqlConfig,
    #[serde(default)]
    pub interests: InterestConfig,
    /// Maps a lead's total points (fit + engagement) to the probability of
    /// converting; `score()` then returns `probability`. Written by
    /// `calibrate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<CalibrationConfig>,
}

/// `probability = 1 / (1 + e^-(intercept + slope × points))`, where `points`
/// is the fit score plus the engagement score. On a scorecard scale with
/// `pointsToDoubleOdds` P, `slope` is about ln 2 / P.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CalibrationConfig {
    /// Log-odds of converting at 0 points.
    pub intercept: f64,
    /// Log-odds added per point.
    pub slope: f64,
    /// The points that double the odds, for readers (`ln 2 / slope`); not
    /// used to compute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_to_double_odds: Option<f64>,
}

fn one() -> u32 {
    1
}

// ---------------------------------------------------------------- fit

/// Fit: rules over profile fields, built-in negative checks and the grade
/// thresholds.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FitConfig {
    /// Which profile fields the built-in negative checks read.
    #[serde(default)]
    pub fields: FieldNames,
    #[serde(default)]
    pub rules: Vec<FitRuleConfig>,
    #[serde(default)]
    pub negative: NegativeConfig,
    #[serde(default)]
    pub grades: GradeThresholds,
    /// The profile fields a browser's own `identify`/`group` calls may set
    /// for scoring (`utmSource`, `favouriteColour`); every other field counts
    /// only when it came from a validated form submission or a server
    /// source. The core does not merge traits (the edge worker does); it
    /// carries the list for whoever does. Empty by default: nothing a page
    /// asserts about itself is trusted.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(extend("examples" = [["utmSource", "language"]])))]
    pub browser_traits: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldNames {
    #[serde(default = "field_email")]
    pub email: String,
    #[serde(default = "field_phone")]
    pub phone: String,
    #[serde(default = "field_company")]
    pub company: String,
    #[serde(default = "field_title")]
    pub title: String,
    #[serde(default = "field_role")]
    pub role: String,
    #[serde(default = "field_website")]
    pub website: String,
}

fn field_email() -> String {
    "email".into()
}
fn field_phone() -> String {
    "phone".into()
}
fn field_company() -> String {
    "company".into()
}
fn field_title() -> String {
    "title".into()
}
fn field_role() -> String {
    "role".into()
}
fn field_website() -> String {
    "website".into()
}

impl Default for FieldNames {
    fn default() -> Self {
        Self {
            email: field_email(),
            phone: field_phone(),
            company: field_company(),
            title: field_title(),
            role: field_role(),
            website: field_website(),
        }
    }
}

/// How a fit rule compares a profile field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum FitOp {
    /// The field equals `value` (text compared without case or outer spaces).
    Equals,
    /// The field equals one of `values`.
    OneOf,
    /// The field (text) contains one of `values` as a substring, ignoring case.
    Contains,
    /// The field (text) matches the regular expression `pattern`.
    Pattern,
    /// The field, read as a number, lies between `min` and `max`, both
    /// included (either may be left out).
    Range,
    /// The field has a non-empty value.
    Present,
    /// The field is missing or empty.
    Absent,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FitRuleConfig {
    pub id: String,
    #[serde(default)]
    pub label: Option<String>,
    /// Profile field, dotted for nested objects (`company.size`).
    pub field: String,
    pub op: FitOp,
    /// For `equals`.
    #[serde(default)]
    pub value: Option<Value>,
    /// For `oneOf` and `contains`.
    #[serde(default)]
    pub values: Option<Vec<Value>>,
    /// For `pattern`: a regular expression.
    #[serde(default)]
    pub pattern: Option<String>,
    /// For `range`: the lowest value that matches (none when left out).
    #[serde(default)]
    pub min: Option<f64>,
    /// For `range`: the highest value that matches (none when left out).
    #[serde(default)]
    pub max: Option<f64>,
    pub points: f64,
    /// Rules sharing a group are alternatives: only the first that matches
    /// (in the order listed) counts, like the rows of a points table.
    #[serde(default)]
    pub group: Option<String>,
}

/// Built-in negative fit checks. Each is off unless configured.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NegativeConfig {
    #[serde(default)]
    pub free_email: Option<Penalty>,
    #[serde(default)]
    pub disposable_email: Option<Penalty>,
    #[serde(default)]
    pub role_email: Option<Penalty>,
    /// A phone number that is empty, too short or long, one repeated digit,
    /// or a run such as 123456789.
    #[serde(default)]
    pub fake_phone: Option<Penalty>,
    /// A known lead (one with an e-mail) without a real company name.
    #[serde(default)]
    pub missing_company: Option<Penalty>,
    #[serde(default)]
    pub student: Option<TermPenalty>,
    #[serde(default)]
    pub job_seeker: Option<TermPenalty>,
    #[serde(default)]
    pub competitor: Option<CompetitorPenalty>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Penalty {
    pub points: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TermPenalty {
    pub points: f64,
    /// Words in the title or role that give it away; a built-in list when
    /// absent (English and Chinese).
    #[serde(default)]
    pub terms: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CompetitorPenalty {
    pub points: f64,
    /// E-mail or website domains of competitors; subdomains match too.
    pub domains: Vec<String>,
}

/// Lowest fit score for each grade letter; below `C` is D.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GradeThresholds {
    #[serde(rename = "A")]
    pub a: f64,
    #[serde(rename = "B")]
    pub b: f64,
    #[serde(rename = "C")]
    pub c: f64,
}

impl Default for GradeThresholds {
    fn default() -> Self {
        Self {
            a: 60.0,
            b: 40.0,
            c: 20.0,
        }
    }
}

// ---------------------------------------------------------------- engagement

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EngagementConfig {
    /// Days after which an event counts half. `null` turns decay off.
    #[serde(default = "default_half_life")]
    pub half_life_days: Option<f64>,
    /// How far in the future an event may be stamped (clock skew) before it
    /// is rejected, in seconds.
    #[serde(default = "default_skew")]
    pub max_clock_skew_seconds: f64,
    #[serde(default)]
    pub touchpoints: Vec<TouchpointConfig>,
    #[serde(default)]
    pub rules: Vec<EngagementRuleConfig>,
    #[serde(default)]
    pub inactivity: Option<InactivityConfig>,
    #[serde(default)]
    pub levels: LevelThresholds,
    /// Rules over totals of activity in a window (8 page views in the last
    /// 30 days): each is one bin, `min ≤ value < below`, worth its points.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aggregates: Vec<AggregateRuleConfig>,
}

/// One bin of an activity total: the events it counts (`event`, `url`),
/// what it measures over the last `windowDays` before `now`, and the
/// points when `min ≤ value < below`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AggregateRuleConfig {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `count`: matching events; `dwellMinutes`: their dwell time summed;
    /// `visits`: runs of matching events with no gap of 30 minutes or more.
    #[cfg_attr(
        feature = "schema",
        schemars(extend("enum" = ["count", "dwellMinutes", "visits"]))
    )]
    pub measure: String,
    /// `page` for page views or track event names; absent = every event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<OneOrMany>,
    /// Glob over the page's path, as in touchpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Only events in the last `windowDays` before `now`; all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_days: Option<f64>,
    /// Lowest value in the bin (included).
    pub min: f64,
    /// First value past the bin (excluded); no upper end when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    pub points: f64,
}

fn default_half_life() -> Option<f64> {
    Some(30.0)
}
fn default_skew() -> f64 {
    300.0
}

impl Default for EngagementConfig {
    fn default() -> Self {
        Self {
            half_life_days: default_half_life(),
            max_clock_skew_seconds: default_skew(),
            touchpoints: Vec::new(),
            rules: Vec::new(),
            inactivity: None,
            levels: LevelThresholds::default(),
            aggregates: Vec::new(),
        }
    }
}

/// WHERE: a URL pattern with the weight of being there and the topics that
/// content is about ("content decides the tag, the URL decides the weight").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TouchpointConfig {
    pub id: String,
    /// Glob over the path (`/pricing*`, `*/case-studies/*`), or over the whole
    /// URL when it starts with `http`. `*` is any run of characters.
    pub url: String,
    pub weight: f64,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub stage: Option<Stage>,
}

/// WHAT: an action worth `points`, where it matches.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EngagementRuleConfig {
    pub id: String,
    #[serde(default)]
    pub label: Option<String>,
    /// The action: `page` for page views, the event name for track events
    /// (`Download`, `Webinar Attended`). One name or a list; absent = any.
    #[serde(default)]
    pub event: Option<OneOrMany>,
    #[serde(default)]
    pub url: Option<String>,
    /// Matches when the event carries any of these content tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub min_dwell_seconds: Option<f64>,
    pub points: f64,
    /// Overrides the model's half-life for this rule; `null` for no decay.
    #[serde(
        default,
        deserialize_with = "some_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub half_life_days: Option<Option<f64>>,
    #[serde(default)]
    pub cap: Option<CapConfig>,
    #[serde(default)]
    pub stage: Option<Stage>,
    /// Who may report the events this rule matches. `server`: only a
    /// back-office source (an event whose `channel` is absent or `"server"`,
    /// scored with `options.source` `"server"`), for actions only the back
    /// office knows of (attended an event, asked for a demo); a
    /// browser-reported match scores 0, takes no place under the cap and is
    /// listed in the result's `unscored`. `any`: every source.
    #[serde(default)]
    pub source: RuleSource,
}

/// Who may report the events an engagement rule matches: `"any"` or
/// `"server"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum RuleSource {
    /// Any source: the page itself, a server, an import.
    #[default]
    Any,
    /// Only a back-office (server) source: a browser-reported match scores 0
    /// and is listed in the result's `unscored`.
    Server,
}

/// Read as a string, by hand: serde's derived enum code costs a few KB of
/// wasm per enum (per deserializer), and the browser build has a budget.
impl<'de> Deserialize<'de> for RuleSource {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = String::deserialize(de)?;
        match text.as_str() {
            "any" => Ok(Self::Any),
            "server" => Ok(Self::Server),
            other => Err(serde::de::Error::unknown_variant(other, &["any", "server"])),
        }
    }
}

/// Lets `"halfLifeDays": null` (no decay) differ from leaving it out
/// (inherit the model's half-life).
fn some_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// One name or a list of names.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

/// At most `count` matching events count per `windowDays` (sliding); without
/// a window, at most `count` ever.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CapConfig {
    pub count: u32,
    #[serde(default)]
    pub window_days: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InactivityConfig {
    pub after_days: f64,
    pub points: f64,
    /// Apply the points again for every further `afterDays` of silence.
    #[serde(default)]
    pub repeat: bool,
    /// At most this many repeats when `repeat` is on.
    #[serde(default)]
    pub max_repeats: Option<u32>,
    /// Actions that do not count as an interaction (e.g. `Email Delivered`).
    #[serde(default)]
    pub ignore: Vec<String>,
}

/// Lowest engagement score for levels 1–3; below `3` is level 4.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LevelThresholds {
    #[serde(rename = "1")]
    pub one: f64,
    #[serde(rename = "2")]
    pub two: f64,
    #[serde(rename = "3")]
    pub three: f64,
}

impl Default for LevelThresholds {
    fn default() -> Self {
        Self {
            one: 60.0,
            two: 30.0,
            three: 10.0,
        }
    }
}

// ---------------------------------------------------------------- state

/// A buying stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Awareness,
    Consideration,
    Decision,
}

impl crate::compiled::read::WireRead for Stage {
    fn read(w: &mut crate::compiled::read::Wire<'_>) -> Self {
        match w.u32() {
            0 => Stage::Awareness,
            1 => Stage::Consideration,
            2 => Stage::Decision,
            _ => w.invalid(Stage::Awareness),
        }
    }
}

impl Stage {
    /// The JSON name (`"awareness"`, …), as serialized and deserialized.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Stage::Awareness => "awareness",
            Stage::Consideration => "consideration",
            Stage::Decision => "decision",
        }
    }

    /// The stage with this JSON name.
    pub(crate) fn from_name(name: &str) -> Option<Stage> {
        match name {
            "awareness" => Some(Stage::Awareness),
            "consideration" => Some(Stage::Consideration),
            "decision" => Some(Stage::Decision),
            _ => None,
        }
    }
}

/// Lowest engagement score for warm and hot; below `warm` is cold.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TierThresholds {
    pub warm: f64,
    pub hot: f64,
}

impl Default for TierThresholds {
    fn default() -> Self {
        Self {
            warm: 20.0,
            hot: 50.0,
        }
    }
}

/// Decayed points of stage-marked behaviour needed to reach a stage.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StageThresholds {
    pub consideration: f64,
    pub decision: f64,
}

impl Default for StageThresholds {
    fn default() -> Self {
        Self {
            consideration: 10.0,
            decision: 20.0,
        }
    }
}

/// When marketing hands a lead to sales: the grade is one of `grades`, or
/// both `minFit` and `minEngagement` are reached.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MqlConfig {
    /// Grades that are MQL on their own (`A1`, `B2`).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(inner(regex(pattern = r"^[A-D][1-4]$"))))]
    pub grades: Vec<String>,
    #[serde(default)]
    pub min_fit: Option<f64>,
    #[serde(default)]
    pub min_engagement: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InterestConfig {
    /// Half-life of interest weights in days; the engagement half-life when
    /// absent, no decay when `null`.
    #[serde(
        default,
        deserialize_with = "some_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub half_life_days: Option<Option<f64>>,
    /// How many top interests the result lists.
    #[serde(default = "default_top")]
    pub top: usize,
}

fn default_top() -> usize {
    5
}

impl Default for InterestConfig {
    fn default() -> Self {
        Self {
            half_life_days: None,
            top: default_top(),
        }
    }
}
