//! Consultation errors. Every refusal a client acts on carries a code from the platform's
//! table (`platform::web::Code`), so proposals and votes answer like every other module.

use axum::response::{IntoResponse, Response};
use platform::AppError;
use platform::web::Code;
use platform::web::authz::Denied;

#[derive(Debug, thiserror::Error)]
pub enum ConsultError {
    #[error("sign in first")]
    SignIn,
    #[error("{0}")]
    Denied(String),
    #[error("not found")]
    NotFound,
    /// Bad input or a refused step, with its code (and so its status) from the table.
    #[error("{message}")]
    Coded { code: Code, message: String },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ConsultError {
    /// A refusal with the code's own message.
    pub fn of(code: Code) -> ConsultError {
        ConsultError::coded(code, code.message())
    }

    pub fn coded(code: Code, message: impl Into<String>) -> ConsultError {
        ConsultError::Coded {
            code,
            message: message.into(),
        }
    }

    /// A field with a bad value (400 `invalid_field`), with what is wrong.
    pub fn field(message: impl Into<String>) -> ConsultError {
        ConsultError::coded(Code::InvalidField, message)
    }

    /// The proposal or vote is not in a state that allows this step (409).
    pub fn state(message: impl Into<String>) -> ConsultError {
        ConsultError::coded(Code::Conflict, message)
    }
}

impl From<sqlx::Error> for ConsultError {
    fn from(e: sqlx::Error) -> Self {
        ConsultError::Internal(e.into())
    }
}

impl From<AppError> for ConsultError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unauthorized => ConsultError::SignIn,
            AppError::NotFound => ConsultError::NotFound,
            AppError::Forbidden(m) => ConsultError::Denied(m),
            other => match other.table_code() {
                Code::Internal => ConsultError::Internal(anyhow::anyhow!("{other}")),
                code => ConsultError::coded(code, other.to_string()),
            },
        }
    }
}

impl From<Denied> for ConsultError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::SignIn => ConsultError::SignIn,
            Denied::Forbidden(why) => ConsultError::Denied(why.to_string()),
            Denied::Hidden => ConsultError::NotFound,
        }
    }
}

impl From<ConsultError> for AppError {
    fn from(e: ConsultError) -> AppError {
        match e {
            ConsultError::SignIn => AppError::Unauthorized,
            ConsultError::Denied(m) => AppError::Forbidden(m),
            ConsultError::NotFound => AppError::NotFound,
            ConsultError::Coded { code, message } => AppError::coded(code, message),
            ConsultError::Internal(cause) => AppError::Internal(cause),
        }
    }
}

impl IntoResponse for ConsultError {
    fn into_response(self) -> Response {
        AppError::from(self).into_response()
    }
}

pub type ConsultResult<T> = Result<T, ConsultError>;
