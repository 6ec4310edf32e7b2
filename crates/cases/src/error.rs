//! Case errors, each with a stable code; rendered through the platform's AppError.
//! (Open311 answers in its own error format: see `open311::format`.)

use platform::AppError;
use platform::web::Code;

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{0}")]
    Denied(String),
    #[error("sign in first")]
    SignIn,
    #[error("not found")]
    NotFound,
    /// Bad input (400), with its code from the platform's table.
    #[error("{message}")]
    Invalid { code: Code, message: String },
    /// A workflow rule refused the step, or the case is not in a state that allows it,
    /// with its own code from the platform's table (403 or 409), so a client can tell
    /// "sign for it first" from "not your case" without reading the message.
    #[error("{message}")]
    Refused { code: Code, message: String },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl CaseError {
    pub fn invalid(code: Code, message: impl Into<String>) -> CaseError {
        CaseError::Invalid {
            code,
            message: message.into(),
        }
    }

    pub fn refused(code: Code, message: impl Into<String>) -> CaseError {
        CaseError::Refused {
            code,
            message: message.into(),
        }
    }
}

impl From<AppError> for CaseError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unauthorized => CaseError::SignIn,
            AppError::NotFound => CaseError::NotFound,
            AppError::Forbidden(m) => CaseError::Denied(m),
            other => CaseError::Internal(anyhow::anyhow!("{other}")),
        }
    }
}

impl From<CaseError> for AppError {
    fn from(e: CaseError) -> AppError {
        match e {
            CaseError::Denied(m) => AppError::Forbidden(m),
            CaseError::SignIn => AppError::Unauthorized,
            CaseError::NotFound => AppError::NotFound,
            CaseError::Invalid { code, message } | CaseError::Refused { code, message } => {
                AppError::coded(code, message)
            }
            CaseError::Internal(cause) => AppError::Internal(cause),
        }
    }
}

platform::module_error!(CaseError);

pub type CaseResult<T> = Result<T, CaseError>;
