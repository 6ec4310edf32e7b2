//! Needs errors: each maps onto a code of the platform's table, so a client reads the same
//! code for the same problem whichever module answered.

use axum::response::{IntoResponse, Response};
use platform::AppError;
use platform::web::Code;
use platform::web::authz::Denied;

#[derive(Debug, thiserror::Error)]
pub enum NeedError {
    #[error("sign in first")]
    SignIn,
    #[error("{0}")]
    Denied(String),
    #[error("not found")]
    NotFound,
    /// Bad input, a refusal with its own code, or a state conflict: all from the table.
    #[error("{message}")]
    Coded { code: Code, message: String },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl NeedError {
    /// An error of the table with a message that says more than the code's.
    pub fn coded(code: Code, message: impl Into<String>) -> NeedError {
        NeedError::Coded {
            code,
            message: message.into(),
        }
    }

    /// An error of the table with the code's own message.
    pub fn of(code: Code) -> NeedError {
        NeedError::coded(code, code.message())
    }

    /// A field with an invalid value (400 invalid_field).
    pub fn invalid(message: &str) -> NeedError {
        NeedError::coded(Code::InvalidField, message)
    }
}

impl From<sqlx::Error> for NeedError {
    fn from(e: sqlx::Error) -> Self {
        NeedError::Internal(e.into())
    }
}

impl From<Denied> for NeedError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::SignIn => NeedError::SignIn,
            Denied::Forbidden(why) => NeedError::Denied(why.to_string()),
            Denied::Hidden => NeedError::NotFound,
        }
    }
}

impl From<NeedError> for AppError {
    fn from(e: NeedError) -> AppError {
        match e {
            NeedError::SignIn => AppError::Unauthorized,
            NeedError::Denied(m) => AppError::Forbidden(m),
            NeedError::NotFound => AppError::NotFound,
            NeedError::Coded { code, message } => AppError::coded(code, message),
            NeedError::Internal(cause) => AppError::Internal(cause),
        }
    }
}

impl IntoResponse for NeedError {
    fn into_response(self) -> Response {
        AppError::from(self).into_response()
    }
}

pub type NeedResult<T> = Result<T, NeedError>;

impl NeedError {
    /// A platform error (a page that failed to render) as this module's.
    pub fn from_app(e: AppError) -> NeedError {
        match e {
            AppError::Unauthorized => NeedError::SignIn,
            AppError::NotFound => NeedError::NotFound,
            AppError::Forbidden(m) => NeedError::Denied(m),
            other => NeedError::Internal(anyhow::anyhow!("{other}")),
        }
    }
}
