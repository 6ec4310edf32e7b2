//! Governance errors, each with a stable code; rendered through the platform's AppError.

use platform::AppError;
use platform::web::i18n::bilingual;
use platform::web::{Code, Lang};

/// A rejected input, worded in both languages: forms show the reader's, the API both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub code: Code,
    pub field: &'static str,
    pub zh: String,
    pub en: String,
}

impl Invalid {
    pub fn new(
        code: Code,
        field: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Invalid {
        Invalid {
            code,
            field,
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GovError {
    /// Why, in both languages (`platform::bi!`).
    #[error("{}", platform::web::i18n::both(.0))]
    Denied(String),
    #[error("sign in first")]
    SignIn,
    #[error("not found")]
    NotFound,
    #[error("{} ({})", .0.en, .0.zh)]
    Invalid(Invalid),
    #[error("{} ({})", .0.en, .0.zh)]
    Conflict(Invalid),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    #[error(transparent)]
    Platform(#[from] AppError),
}

impl GovError {
    pub fn invalid(
        code: Code,
        field: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> GovError {
        GovError::Invalid(Invalid::new(code, field, zh, en))
    }

    pub fn conflict(
        code: Code,
        field: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> GovError {
        GovError::Conflict(Invalid::new(code, field, zh, en))
    }

    /// The input problem a form can show next to its fields, if this is one.
    pub fn as_input(&self) -> Option<&Invalid> {
        match self {
            GovError::Invalid(i) | GovError::Conflict(i) => Some(i),
            _ => None,
        }
    }
}

impl From<GovError> for AppError {
    fn from(e: GovError) -> AppError {
        match e {
            GovError::Denied(m) => AppError::Forbidden(m),
            GovError::SignIn => AppError::Unauthorized,
            GovError::NotFound => AppError::NotFound,
            GovError::Invalid(i) | GovError::Conflict(i) => {
                AppError::coded(i.code, bilingual(&i.zh, &i.en))
            }
            GovError::Internal(cause) => AppError::Internal(cause),
            GovError::Platform(e) => e,
        }
    }
}

platform::module_error!(GovError);

pub type GovResult<T> = Result<T, GovError>;
