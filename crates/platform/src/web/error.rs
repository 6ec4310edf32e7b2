//! The error every handler returns. A handler only says what went wrong; the
//! `render_errors` middleware decides, from the request, whether the client gets JSON
//! (`/api/…`, or `Accept: application/json`) or a page in the reader's language.
//! Internal causes are logged, never shown.

use super::Lang;
use super::code::Code;
use super::i18n::has_cjk;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign in first")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// A part of the service is down for a moment (logged where it happened); try again.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
    /// An error from the table of codes: status and code come from there.
    #[error("{message}")]
    Coded { code: Code, message: String },
}

impl AppError {
    /// An error of the table with the code's own message.
    pub fn of(code: Code) -> AppError {
        AppError::coded(code, code.message())
    }

    /// An error of the table with a message that says more than the code's.
    pub fn coded(code: Code, message: impl Into<String>) -> AppError {
        AppError::Coded {
            code,
            message: message.into(),
        }
    }

    /// The table's entry for this error: every error has one.
    pub fn table_code(&self) -> Code {
        match self {
            AppError::Unauthorized => Code::Unauthorized,
            AppError::Forbidden(_) => Code::Forbidden,
            AppError::NotFound => Code::NotFound,
            AppError::Conflict(_) => Code::Conflict,
            AppError::TooLarge(_) => Code::TooLarge,
            AppError::Unsupported(_) => Code::Unsupported,
            AppError::TooManyRequests(_) => Code::RateLimited,
            AppError::Unavailable(_) => Code::Unavailable,
            AppError::Internal(_) => Code::Internal,
            AppError::Coded { code, .. } => *code,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.table_code().status()
    }

    pub fn code(&self) -> &'static str {
        self.table_code().as_str()
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(e.into())
    }
}

/// Carried in the response extensions for `render_errors` to format. The message may be
/// bilingual (`bi!`); the page shows the reader's half.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub code: &'static str,
    pub message: String,
}

/// The headline of an error page: what kind of problem, by status — a conflict is not a
/// server error.
pub fn headline(status: u16, lang: Lang) -> &'static str {
    match status {
        400 | 422 => lang.pick("请求有误", "Bad request"),
        401 => lang.pick("需要登录", "Please sign in"),
        403 => lang.pick("无权访问", "Not allowed"),
        404 | 410 => lang.pick("未找到", "Not found"),
        405 => lang.pick("不支持此操作", "Not supported"),
        409 => lang.pick("操作冲突", "Conflict"),
        413 => lang.pick("文件太大", "Too large"),
        415 => lang.pick("不支持的文件类型", "Unsupported file type"),
        429 => lang.pick("操作太频繁", "Too many requests"),
        503 => lang.pick("服务暂不可用", "Service unavailable"),
        _ if status < 500 => lang.pick("请求有误", "Bad request"),
        _ => lang.pick("服务器出错了", "Something went wrong"),
    }
}

/// What to do about an error of this status, when the message itself cannot say it in the
/// reader's language.
fn advice(status: u16, lang: Lang) -> &'static str {
    match status {
        401 => lang.pick("此操作需要登录。", "You need to sign in for this."),
        403 => lang.pick(
            "您没有权限进行此操作。如需权限，请联系所在单位的管理员。",
            "You are not allowed to do this. Ask your unit's administrator if you need to.",
        ),
        404 | 410 => lang.pick(
            "请检查链接或返回首页。",
            "Check the address or go back to the home page.",
        ),
        409 => lang.pick(
            "此操作与当前状态冲突（可能已被他人处理），请刷新页面后重试。",
            "This clashes with the current state (someone may have acted already); reload the page and try again.",
        ),
        413 => lang.pick("内容超过了大小上限。", "This is larger than the limit."),
        415 => lang.pick("不支持此文件类型。", "This file type is not supported."),
        429 => lang.pick("操作太频繁，请稍后再试。", "Too many requests; try again later."),
        _ if status < 500 => lang.pick(
            "请求的内容有误，请检查后重试。",
            "Something in the request is wrong; check it and try again.",
        ),
        _ => lang.pick(
            "服务器出错了，请稍后再试。",
            "Something went wrong on our side; please try again later.",
        ),
    }
}

/// The message an error page shows: the reader's half of the error's message, or — when
/// there is none in the reader's language (a Chinese page never shows English alone) —
/// advice by status.
pub fn page_message(status: u16, lang: Lang, code: &str, raw: &str) -> String {
    let text = lang.msg(raw).trim();
    let fits = match lang {
        Lang::Zh => has_cjk(text),
        Lang::En => !text.is_empty(),
    };
    if !fits || matches!(code, "not_found" | "unauthorized") {
        return advice(status, lang).to_string();
    }
    text.to_string()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                Code::Internal.message().to_string()
            }
            other => other.to_string(),
        };
        // Plain JSON by default (both languages); `render_errors` turns it into a page for
        // browsers in the reader's language.
        let body = serde_json::json!({ "error": { "code": self.code(), "message": super::i18n::both(&message) } });
        let info = ErrorInfo {
            code: self.code(),
            message,
        };
        let mut resp = (status, axum::Json(body)).into_response();
        resp.extensions_mut().insert(info);
        resp
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_speak_the_readers_language() {
        assert_eq!(headline(409, Lang::Zh), "操作冲突");
        assert_eq!(headline(403, Lang::Zh), "无权访问");
        assert_eq!(headline(500, Lang::En), "Something went wrong");
        // English alone is replaced on a Chinese page; a bilingual message is split.
        let m = page_message(409, Lang::Zh, "conflict", "already decided");
        assert!(has_cjk(&m), "{m}");
        let bi = crate::bi!("余额不足，请先充值。", "balance too low; top up first");
        assert_eq!(
            page_message(403, Lang::Zh, "forbidden", bi),
            "余额不足，请先充值。"
        );
        assert_eq!(
            page_message(403, Lang::En, "forbidden", bi),
            "balance too low; top up first"
        );
        assert_eq!(page_message(400, Lang::En, "bad", "bad input"), "bad input");
    }
}
