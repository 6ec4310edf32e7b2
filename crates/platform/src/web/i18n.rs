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
