//! Case errors, each with a stable code; rendered through the platform's AppError.
//! (Open311 answers in its own error format: see `open311::format`.)

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use platform::AppError;
use platform::web::authz::Denied;
use platform::web::error::ErrorInfo;

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{0}")]
    Denied(String),
    #[error("sign in first")]
    SignIn,
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// The case is not in a state that allows this step.
    #[error("{0}")]
    Conflict(String),
    /// A workflow rule refused the step: 403 or 409 with its own stable code, so a client
    /// can tell "sign for it first" from "not your case" without reading the message.
    #[error("{message}")]
    Refused {
        status: u16,
        code: &'static str,
        message: String,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl CaseError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> CaseError {
        CaseError::Invalid {
            code,
            message: message.into(),
        }
    }
}

impl CaseError {
    pub fn refused(status: u16, code: &'static str, message: impl Into<String>) -> CaseError {
        CaseError::Refused {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<sqlx::Error> for CaseError {
    fn from(e: sqlx::Error) -> Self {
        CaseError::Internal(e.into())
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

impl From<Denied> for CaseError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::SignIn => CaseError::SignIn,
            Denied::Forbidden(why) => CaseError::Denied(why.to_string()),
            Denied::Hidden => CaseError::NotFound,
        }
    }
}

impl From<CaseError> for AppError {
    fn from(e: CaseError) -> AppError {
        match e {
            CaseError::Denied(m) => AppError::Forbidden(m),
            CaseError::SignIn => AppError::Unauthorized,
            CaseError::NotFound => AppError::NotFound,
            CaseError::Invalid { code, message } => AppError::bad(code, message),
            CaseError::Conflict(m) => AppError::Conflict(m),
            CaseError::Refused {
                status: 403,
                message,
                ..
            } => AppError::Forbidden(message),
            CaseError::Refused { message, .. } => AppError::Conflict(message),
            CaseError::Internal(cause) => AppError::Internal(cause),
        }
    }
}

impl IntoResponse for CaseError {
    fn into_response(self) -> Response {
        let CaseError::Refused {
            status,
            code,
            message,
        } = self
        else {
            return AppError::from(self).into_response();
        };
        // AppError's shape and page rendering, with this refusal's own code.
        let mut resp = AppError::Conflict(message.clone()).into_response();
        *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT);
        let body = serde_json::json!({ "error": { "code": code, "message": message } });
        *resp.body_mut() = axum::body::Body::from(body.to_string());
        resp.extensions_mut().insert(ErrorInfo { code, message });
        resp
    }
}

pub type CaseResult<T> = Result<T, CaseError>;
