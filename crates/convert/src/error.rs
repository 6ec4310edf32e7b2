//! The one error type of the crate. Every message is a sentence a user can read, because
//! the caller shows it as-is; `code()` is the stable machine-readable side.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("The file is empty.")]
    Empty,
    /// Content we do not convert (an image, an archive, a program, an unknown format…).
    #[error("{0}")]
    Unsupported(String),
    /// The name promises one format, the content is clearly another (an ELF named .pdf).
    #[error("{0}")]
    Mismatch(String),
    #[error("This document is password-protected. Remove the password and upload it again.")]
    Encrypted,
    /// Damaged or truncated content of a supported format.
    #[error("{0}")]
    Corrupt(String),
    /// Zip bombs, absurd page sizes, memory exhaustion.
    #[error("{0}")]
    TooLarge(String),
    #[error("Converting the document took too long, so it was stopped.")]
    Timeout,
    #[error("Previewing this kind of document needs LibreOffice, which this server does not have.")]
    OfficeUnavailable,
    /// LibreOffice ran but produced nothing usable.
    #[error("{0}")]
    OfficeFailed(String),
    /// The supervised converter process died (signal, abort, unexpected exit).
    #[error("{0}")]
    Crashed(String),
    #[error("A file could not be read or written: {0}")]
    Io(#[from] io::Error),
}

const IO_PREFIX: &str = "A file could not be read or written: ";

impl ConvertError {
    /// Stable machine code, e.g. for the API and for the child→parent protocol.
    pub fn code(&self) -> &'static str {
        match self {
            ConvertError::Empty => "empty",
            ConvertError::Unsupported(_) => "unsupported",
            ConvertError::Mismatch(_) => "mismatch",
            ConvertError::Encrypted => "encrypted",
            ConvertError::Corrupt(_) => "corrupt",
            ConvertError::TooLarge(_) => "too_large",
            ConvertError::Timeout => "timeout",
            ConvertError::OfficeUnavailable => "office_unavailable",
            ConvertError::OfficeFailed(_) => "office_failed",
            ConvertError::Crashed(_) => "crashed",
            ConvertError::Io(_) => "io",
        }
    }

    /// Rebuild an error from its code and its displayed message (the child process
    /// prints both). Unknown codes become `Crashed` so nothing is lost.
    pub fn from_code(code: &str, message: &str) -> ConvertError {
        let m = message.to_string();
        match code {
            "empty" => ConvertError::Empty,
            "unsupported" => ConvertError::Unsupported(m),
            "mismatch" => ConvertError::Mismatch(m),
            "encrypted" => ConvertError::Encrypted,
            "corrupt" => ConvertError::Corrupt(m),
            "too_large" => ConvertError::TooLarge(m),
            "timeout" => ConvertError::Timeout,
            "office_unavailable" => ConvertError::OfficeUnavailable,
            "office_failed" => ConvertError::OfficeFailed(m),
            "io" => ConvertError::Io(io::Error::other(
                message
                    .strip_prefix(IO_PREFIX)
                    .unwrap_or(message)
                    .to_string(),
            )),
            _ => ConvertError::Crashed(if m.is_empty() {
                "The converter failed for an unknown reason.".to_string()
            } else {
                m
            }),
        }
    }
}

/// "The file is damaged …" helper used by the format readers.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> ConvertError {
    ConvertError::Corrupt(format!(
        "The file is damaged or is not a valid {what} ({detail})."
    ))
}

pub(crate) fn too_large_unzipped(limit: u64) -> ConvertError {
    ConvertError::TooLarge(format!(
        "The document unpacks to more than {} MiB, which is more than this server accepts.",
        limit / (1024 * 1024)
    ))
}
