//! Stable error codes and their messages in English, Simplified Chinese and
//! Traditional Chinese.

use serde::Serialize;

/// The language of the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Language {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-Hans")]
    ZhHans,
    #[serde(rename = "zh-Hant")]
    ZhHant,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::En, Language::ZhHans, Language::ZhHant];

    /// Reads a BCP 47 tag: `zh-Hant`, `zh-TW`, `zh-HK` and `zh-MO` are
    /// Traditional; any other `zh` is Simplified; everything else English.
    pub fn from_tag(tag: &str) -> Language {
        let lower = tag.trim().to_ascii_lowercase().replace('_', "-");
        if lower == "zh" || lower.starts_with("zh-") {
            if ["hant", "tw", "hk", "mo"]
                .iter()
                .any(|t| lower.split('-').any(|part| part == *t))
            {
                Language::ZhHant
            } else {
                Language::ZhHans
            }
        } else {
            Language::En
        }
    }
}

/// What is wrong with a submitted value. The `snake_case` name is the stable
/// code callers branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// A required field is empty.
    Required,
    /// Longer than `maxLength`.
    TooLong,
    /// Shorter than `minLength`.
    TooShort,
    /// Does not match the field's `pattern`.
    Pattern,
    /// Not one of the allowed values (select, multi-select, country).
    NotAllowed,
    /// A number field with something that is not a number.
    NotANumber,
    /// Below `min`.
    BelowMin,
    /// Above `max`.
    AboveMax,
    /// Not an e-mail address a browser would accept.
    InvalidEmail,
    /// A throw-away mailbox.
    DisposableEmail,
    /// A free-mail address on a form that asks for a work address.
    BusinessEmailRequired,
    /// Not a phone number of the region.
    InvalidPhone,
    /// A required consent box was not ticked.
    ConsentRequired,
    /// A value for a field that was not shown: reported, never merged.
    NotAsked,
    /// The honeypot was filled in, or the form was sent faster than a person
    /// can fill it.
    BotSuspected,
    /// Control characters, direction overrides or broken text (U+FFFD).
    ControlCharacters,
    /// HTML tags in a text field.
    HtmlNotAllowed,
    /// A value of the wrong JSON type (an object for a text field ...).
    InvalidType,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 18] = [
        ErrorCode::Required,
        ErrorCode::TooLong,
        ErrorCode::TooShort,
        ErrorCode::Pattern,
        ErrorCode::NotAllowed,
        ErrorCode::NotANumber,
        ErrorCode::BelowMin,
        ErrorCode::AboveMax,
        ErrorCode::InvalidEmail,
        ErrorCode::DisposableEmail,
        ErrorCode::BusinessEmailRequired,
        ErrorCode::InvalidPhone,
        ErrorCode::ConsentRequired,
        ErrorCode::NotAsked,
        ErrorCode::BotSuspected,
        ErrorCode::ControlCharacters,
        ErrorCode::HtmlNotAllowed,
        ErrorCode::InvalidType,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Required => "required",
            ErrorCode::TooLong => "too_long",
            ErrorCode::TooShort => "too_short",
            ErrorCode::Pattern => "pattern",
            ErrorCode::NotAllowed => "not_allowed",
            ErrorCode::NotANumber => "not_a_number",
            ErrorCode::BelowMin => "below_min",
            ErrorCode::AboveMax => "above_max",
            ErrorCode::InvalidEmail => "invalid_email",
            ErrorCode::DisposableEmail => "disposable_email",
            ErrorCode::BusinessEmailRequired => "business_email_required",
            ErrorCode::InvalidPhone => "invalid_phone",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::NotAsked => "not_asked",
            ErrorCode::BotSuspected => "bot_suspected",
            ErrorCode::ControlCharacters => "control_characters",
            ErrorCode::HtmlNotAllowed => "html_not_allowed",
            ErrorCode::InvalidType => "invalid_type",
        }
    }

    /// The message for a person, with `{limit}` replaced by the bound that was
    /// crossed (a length or a number), when there is one.
    pub fn message(self, language: Language, limit: Option<&str>) -> String {
        let [en, hans, hant] = self.templates();
        let template = match language {
            Language::En => en,
            Language::ZhHans => hans,
            Language::ZhHant => hant,
        };
        template.replace("{limit}", limit.unwrap_or(""))
    }

    fn templates(self) -> [&'static str; 3] {
        match self {
            ErrorCode::Required => [
                "This field is required.",
                "此项为必填项。",
                "此欄位為必填。",
            ],
            ErrorCode::TooLong => [
                "Please use at most {limit} characters.",
                "最多只能输入 {limit} 个字符。",
                "最多只能輸入 {limit} 個字元。",
            ],
            ErrorCode::TooShort => [
                "Please use at least {limit} characters.",
                "至少需要输入 {limit} 个字符。",
                "至少需要輸入 {limit} 個字元。",
            ],
            ErrorCode::Pattern => [
                "Please match the requested format.",
                "请按要求的格式填写。",
                "請依要求的格式填寫。",
            ],
            ErrorCode::NotAllowed => [
                "Please choose one of the listed options.",
                "请从列出的选项中选择。",
                "請從列出的選項中選擇。",
            ],
            ErrorCode::NotANumber => ["Please enter a number.", "请输入数字。", "請輸入數字。"],
            ErrorCode::BelowMin => [
                "Please enter a value of at least {limit}.",
                "请输入不小于 {limit} 的数值。",
                "請輸入不小於 {limit} 的數值。",
            ],
            ErrorCode::AboveMax => [
                "Please enter a value of at most {limit}.",
                "请输入不大于 {limit} 的数值。",
                "請輸入不大於 {limit} 的數值。",
            ],
            ErrorCode::InvalidEmail => [
                "Please enter a valid e-mail address.",
                "请输入有效的电子邮件地址。",
                "請輸入有效的電子郵件地址。",
            ],
            ErrorCode::DisposableEmail => [
                "Disposable e-mail addresses are not accepted.",
                "不接受一次性电子邮件地址。",
                "不接受一次性電子郵件地址。",
            ],
            ErrorCode::BusinessEmailRequired => [
                "Please use your work e-mail address.",
                "请使用您的工作邮箱。",
                "請使用您的公司電子郵件。",
            ],
            ErrorCode::InvalidPhone => [
                "Please enter a valid phone number.",
                "请输入有效的电话号码。",
                "請輸入有效的電話號碼。",
            ],
            ErrorCode::ConsentRequired => [
                "Please give your consent to continue.",
                "请勾选同意后继续。",
                "請勾選同意後繼續。",
            ],
            ErrorCode::NotAsked => [
                "This field was not part of the form.",
                "此字段不在表单中。",
                "此欄位不在表單中。",
            ],
            ErrorCode::BotSuspected => [
                "The form could not be accepted. Please try again.",
                "表单未能提交，请重试。",
                "表單未能送出，請再試一次。",
            ],
            ErrorCode::ControlCharacters => [
                "Please remove control or invalid characters.",
                "请删除控制字符或无效字符。",
                "請刪除控制字元或無效字元。",
            ],
            ErrorCode::HtmlNotAllowed => [
                "HTML is not allowed here.",
                "此处不能包含 HTML。",
                "此處不能包含 HTML。",
            ],
            ErrorCode::InvalidType => [
                "This value has the wrong type.",
                "此值的类型不正确。",
                "此值的類型不正確。",
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_three_distinct_messages() {
        for code in ErrorCode::ALL {
            let en = code.message(Language::En, Some("5"));
            let hans = code.message(Language::ZhHans, Some("5"));
            let hant = code.message(Language::ZhHant, Some("5"));
            assert!(!en.is_empty() && en.is_ascii(), "{en}");
            assert_ne!(en, hans);
            assert_ne!(hans, hant, "{}", code.as_str());
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
        }
    }

    #[test]
    fn language_tags() {
        assert_eq!(Language::from_tag("zh-TW"), Language::ZhHant);
        assert_eq!(Language::from_tag("zh-Hant-HK"), Language::ZhHant);
        assert_eq!(Language::from_tag("zh-CN"), Language::ZhHans);
        assert_eq!(Language::from_tag("zh"), Language::ZhHans);
        assert_eq!(Language::from_tag("en-GB"), Language::En);
        assert_eq!(Language::from_tag("fr"), Language::En);
    }
}
