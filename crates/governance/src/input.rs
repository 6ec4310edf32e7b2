//! Checks shared by every governance form and endpoint: trimmed text of a bounded length,
//! counts, required fields, phone numbers and registration dates, each refusing with a
//! field-named, bilingual error.

use crate::dates::days_from_civil;
use crate::error::{GovError, GovResult, Invalid};
use platform::web::Code;

pub(crate) fn text(
    field: &'static str,
    raw: &str,
    min: usize,
    max: usize,
    zh: &str,
    en: &str,
) -> GovResult<String> {
    let v = raw.trim();
    let n = v.chars().count();
    if n < min || n > max || v.chars().any(char::is_control) {
        return Err(GovError::invalid(
            Code::InvalidField,
            field,
            if min > 0 {
                format!("{zh}须为 {min}–{max} 个字符。")
            } else {
                format!("{zh}最多 {max} 个字符。")
            },
            if min > 0 {
                format!("{en} must be {min} to {max} characters")
            } else {
                format!("{en} may have at most {max} characters")
            },
        ));
    }
    Ok(v.to_string())
}

pub(crate) fn count(field: &'static str, v: i64, zh: &str, en: &str) -> GovResult<i64> {
    if !(0..=10_000_000).contains(&v) {
        return Err(GovError::invalid(
            Code::InvalidField,
            field,
            format!("{zh}须为 0 到 10,000,000 之间的整数。"),
            format!("{en} must be a whole number from 0 to 10,000,000"),
        ));
    }
    Ok(v)
}

pub(crate) fn required<'a>(
    v: &'a Option<String>,
    field: &'static str,
    zh: &str,
    en: &str,
) -> GovResult<&'a str> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(GovError::invalid(
            Code::MissingField,
            field,
            format!("请填写{zh}。"),
            format!("{en} is required"),
        )),
    }
}

/// A `YYYY-MM-DD` registration date, not before 1949 and not after `today_ms` (UTC+8).
pub fn parse_date(raw: &str, today_ms: i64) -> Result<String, Invalid> {
    let bad = || {
        Invalid::new(
            Code::InvalidDate,
            "registered_on",
            "登记日期须为有效日期，格式 YYYY-MM-DD，且不晚于今天。",
            "the registration date must be a real date as YYYY-MM-DD, not in the future",
        )
    };
    let s = raw.trim();
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3
        || parts[0].len() != 4
        || parts[1].len() != 2
        || parts[2].len() != 2
        || !s.chars().all(|c| c.is_ascii_digit() || c == '-')
    {
        return Err(bad());
    }
    let (Ok(y), Ok(m), Ok(d)) = (
        parts[0].parse::<i64>(),
        parts[1].parse::<i64>(),
        parts[2].parse::<i64>(),
    ) else {
        return Err(bad());
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1949..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || d < 1
        || d > month_days[(m - 1) as usize]
    {
        return Err(bad());
    }
    let today = (today_ms + 8 * 3_600_000).div_euclid(86_400_000);
    if days_from_civil(y, m, d) > today {
        return Err(bad());
    }
    Ok(s.to_string())
}

pub(crate) fn phone(raw: &str) -> GovResult<String> {
    let v = raw.trim();
    let ok = v.is_empty()
        || (v.chars().count() <= 30
            && v.chars().filter(char::is_ascii_digit).count() >= 5
            && v.chars()
                .all(|c| c.is_ascii_digit() || " -+()转".contains(c)));
    if !ok {
        return Err(GovError::invalid(
            Code::InvalidPhone,
            "contact_phone",
            "联系电话只能包含数字、空格、-、+ 和括号（至少 5 位数字）。",
            "the contact phone may contain digits, spaces, -, + and brackets (at least 5 digits)",
        ));
    }
    Ok(v.to_string())
}
