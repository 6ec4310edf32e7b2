//! Reading the Cookie header and writing Set-Cookie values with safe defaults.

use axum::http::HeaderMap;

pub const SESSION: &str = "gz_session";
pub const CSRF: &str = "gz_csrf";
pub const LANG: &str = "gz_lang";

pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// HttpOnly, SameSite=Lax, whole site; `max_age` None = a browser-session cookie, Some(0) = delete.
pub fn set(name: &str, value: &str, max_age_secs: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_secs {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cookie_among_several() {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            "a=1; gz_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(get(&h, SESSION), Some("abc"));
        assert_eq!(get(&h, "zz"), None);
        assert!(
            set(SESSION, "x", Some(0), true).contains("HttpOnly; SameSite=Lax; Max-Age=0; Secure")
        );
    }
}
