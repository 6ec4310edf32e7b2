//! The library's errors, each with a stable code; rendered through the platform's AppError.

use platform::AppError;
use platform::web::Code;

/// A field the caller got wrong, told in both languages: `bad_field!("中文", "English")`.
macro_rules! bad_field {
    ($zh:literal, $en:literal) => {
        $crate::error::LibraryError::BadField(platform::bi!($zh, $en).into())
    };
}

#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("{0}")]
    Denied(String),
    #[error("sign in first")]
    SignIn,
    #[error("document not found")]
    NotFound,
    #[error("the upload has no file: send it in a multipart field named `file`")]
    NoFile,
    #[error("the file is empty")]
    EmptyFile,
    #[error("the file is larger than the limit of {0} MB")]
    TooLarge(u64),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    BadField(String),
    /// The record is not in a state that allows this (409), with its own code.
    #[error("{1}")]
    WrongState(Code, String),
    /// Down for a moment (e.g. the search thread failed; logged where it happened).
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    /// An error the platform raised (rendering, sessions), passed through unchanged.
    #[error(transparent)]
    Platform(#[from] AppError),
}

impl LibraryError {
    /// What a reader is told, in both languages (`platform::bi!`), for the errors whose
    /// message is not carried in the variant.
    pub fn file_problem(&self) -> Option<String> {
        Some(match self {
            LibraryError::NoFile => platform::bi!(
                "没有收到文件：请放在名为 `file` 的 multipart 字段中上传。",
                "the upload has no file: send it in a multipart field named `file`"
            )
            .into(),
            LibraryError::EmptyFile => platform::bi!("文件是空的。", "the file is empty").into(),
            LibraryError::TooLarge(mb) => platform::web::i18n::bilingual(
                &format!("文件超过了 {mb} MB 的上限。"),
                &self.to_string(),
            ),
            _ => return None,
        })
    }
}

impl From<LibraryError> for AppError {
    fn from(e: LibraryError) -> AppError {
        let file_problem = e.file_problem().unwrap_or_default();
        match e {
            LibraryError::Denied(m) => AppError::Forbidden(m),
            LibraryError::SignIn => AppError::Unauthorized,
            LibraryError::NotFound => AppError::NotFound,
            LibraryError::NoFile => AppError::coded(Code::NoFile, file_problem),
            LibraryError::EmptyFile => AppError::coded(Code::EmptyFile, file_problem),
            LibraryError::TooLarge(_) => AppError::TooLarge(file_problem),
            LibraryError::Unsupported(m) => AppError::Unsupported(m),
            LibraryError::BadField(m) => AppError::coded(Code::InvalidField, m),
            LibraryError::WrongState(code, m) => AppError::coded(code, m),
            LibraryError::Unavailable(m) => AppError::Unavailable(m),
            LibraryError::Internal(cause) => AppError::Internal(cause),
            LibraryError::Platform(e) => e,
        }
    }
}

platform::module_error!(LibraryError);

pub type LibResult<T> = Result<T, LibraryError>;
