//! Chinese first, English on request. Templates pick the wording inline with
//! `lang.pick("中文", "English")`, so each string sits next to its translation.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_cookie(v: Option<&str>) -> Lang {
        match v {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
    pub fn code(&self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn is_en(&self) -> bool {
        *self == Lang::En
    }
}

/// Joins the Chinese and English halves of a message carried as one string (through error
/// types that hold a `String` or a `&'static str`). Never typed by users: inputs reject
/// control characters.
pub const BI_SEP: char = '\u{1f}';

/// A message in both languages as one `&'static str`: `bi!("中文", "English")`. Pages show
/// the reader's half ([`Lang::msg`]); the JSON API shows both ([`both`]).
#[macro_export]
macro_rules! bi {
    ($zh:literal, $en:literal) => {
        concat!($zh, "\u{1f}", $en)
    };
}

/// [`bi!`] for messages built at run time.
pub fn bilingual(zh: &str, en: &str) -> String {
    format!("{zh}{BI_SEP}{en}")
}

/// The (Chinese, English) halves of a bilingual message; `None` for a plain one.
pub fn split(msg: &str) -> Option<(&str, &str)> {
    msg.split_once(BI_SEP)
}

/// A message as the API gives it: "English (中文)" when it has both halves.
pub fn both(msg: &str) -> String {
    match split(msg) {
        Some((zh, en)) => format!("{en} ({zh})"),
        None => msg.to_string(),
    }
}

/// Whether a text has any CJK character (a Chinese page must not show English alone).
pub fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{ff00}'..='\u{ffef}')
    })
}

impl Lang {
    /// The reader's half of a bilingual message; a plain message as it is.
    pub fn msg<'a>(&self, msg: &'a str) -> &'a str {
        match split(msg) {
            Some((zh, en)) => self.pick(zh, en),
            None => msg,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilingual_messages_split_by_language() {
        let m: &'static str = crate::bi!("余额不足", "balance too low");
        assert_eq!(Lang::Zh.msg(m), "余额不足");
        assert_eq!(Lang::En.msg(m), "balance too low");
        assert_eq!(both(m), "balance too low (余额不足)");
        assert_eq!(Lang::Zh.msg("plain"), "plain");
        assert_eq!(bilingual("甲", "a"), "甲\u{1f}a");
        assert!(has_cjk("请稍后再试。") && !has_cjk("try again later."));
    }
}
