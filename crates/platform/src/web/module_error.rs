//! The error of a module whose every refusal carries a code of the platform's table (needs,
//! consultation): sign in first, forbidden, not found, a coded refusal, or an internal
//! failure. One enum, so the modules map onto `AppError` the same way.

use super::code::Code;
use super::error::AppError;

/// The conversions every module's error enum shares — a refusal of its `authorize` (hidden
/// answers as not found), a database failure (internal) and the response through
/// `AppError` — for an enum with the variants `SignIn`, `Denied(String)`, `NotFound` and
/// `Internal(anyhow::Error)` and a `From<Enum> for AppError`: `platform::module_error!(CaseError);`.
#[macro_export]
macro_rules! module_error {
    ($name:ident) => {
        impl From<::sqlx::Error> for $name {
            fn from(e: ::sqlx::Error) -> Self {
                $name::Internal(e.into())
            }
        }

        impl From<$crate::web::authz::Denied> for $name {
            fn from(d: $crate::web::authz::Denied) -> Self {
                match d {
                    $crate::web::authz::Denied::SignIn => $name::SignIn,
                    $crate::web::authz::Denied::Forbidden(why) => $name::Denied(why.to_string()),
                    $crate::web::authz::Denied::Hidden => $name::NotFound,
                }
            }
        }

        impl ::axum::response::IntoResponse for $name {
            fn into_response(self) -> ::axum::response::Response {
                ::axum::response::IntoResponse::into_response($crate::web::AppError::from(self))
            }
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
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

impl ModuleError {
    /// An error of the table with a message that says more than the code's.
    pub fn coded(code: Code, message: impl Into<String>) -> ModuleError {
        ModuleError::Coded {
            code,
            message: message.into(),
        }
    }

    /// An error of the table with the code's own message.
    pub fn of(code: Code) -> ModuleError {
        ModuleError::coded(code, code.message())
    }

    /// A field with a bad value (400 `invalid_field`), with what is wrong.
    pub fn field(message: impl Into<String>) -> ModuleError {
        ModuleError::coded(Code::InvalidField, message)
    }

    /// The record is not in a state that allows this step (409 `conflict`).
    pub fn state(message: impl Into<String>) -> ModuleError {
        ModuleError::coded(Code::Conflict, message)
    }

    /// A platform error (a page that failed to render) as a module's: refusals keep their
    /// kind, anything else is internal.
    pub fn from_app(e: AppError) -> ModuleError {
        match e {
            AppError::Unauthorized => ModuleError::SignIn,
            AppError::NotFound => ModuleError::NotFound,
            AppError::Forbidden(m) => ModuleError::Denied(m),
            other => ModuleError::Internal(anyhow::anyhow!("{other}")),
        }
    }
}

/// Unlike `from_app`, keeps the table's code of a coded platform error.
impl From<AppError> for ModuleError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unauthorized => ModuleError::SignIn,
            AppError::NotFound => ModuleError::NotFound,
            AppError::Forbidden(m) => ModuleError::Denied(m),
            other => match other.table_code() {
                Code::Internal => ModuleError::Internal(anyhow::anyhow!("{other}")),
                code => ModuleError::coded(code, other.to_string()),
            },
        }
    }
}

impl From<ModuleError> for AppError {
    fn from(e: ModuleError) -> AppError {
        match e {
            ModuleError::SignIn => AppError::Unauthorized,
            ModuleError::Denied(m) => AppError::Forbidden(m),
            ModuleError::NotFound => AppError::NotFound,
            ModuleError::Coded { code, message } => AppError::coded(code, message),
            ModuleError::Internal(cause) => AppError::Internal(cause),
        }
    }
}

crate::module_error!(ModuleError);
