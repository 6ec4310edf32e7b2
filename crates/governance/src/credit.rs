//! 统一社会信用代码 — the unified social credit code of GB 32100-2015.
//!
//! 18 characters from a 31-character set (digits and capital letters without I, O, S, V, Z).
//! The last one is a check character over the first 17: with the value of each character
//! (its index in the set) and the weights 3^(i-1) mod 31, check = 31 − (Σ value·weight mod 31),
//! where 31 stands for 0.

use serde::Serialize;
use std::fmt;

pub const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A credit code whose length, characters and check character are valid.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreditCodeError {
    Length(usize),
    /// 1-based position and the offending character.
    BadChar(usize, char),
    CheckChar {
        expected: char,
        found: char,
    },
}

impl CreditCodeError {
    /// What is wrong, in Chinese and in English.
    fn texts(&self) -> (String, String) {
        match self {
            CreditCodeError::Length(n) => (
                format!("统一社会信用代码应为 18 位，当前为 {n} 位。"),
                format!("a unified social credit code has 18 characters, this one has {n}"),
            ),
            CreditCodeError::BadChar(pos, c) => (
                format!(
                    "统一社会信用代码第 {pos} 位的“{c}”不是有效字符（只能是数字和除 I、O、S、V、Z 以外的大写字母）。"
                ),
                format!(
                    "character {pos} of the credit code, '{c}', is not allowed (digits and capital letters except I, O, S, V, Z)"
                ),
            ),
            CreditCodeError::CheckChar { expected, found } => (
                format!(
                    "统一社会信用代码校验位不正确：按前 17 位计算应为“{expected}”，而不是“{found}”。请核对证书上的代码。"
                ),
                format!(
                    "the credit code's check character is wrong: the first 17 characters give '{expected}', not '{found}'; check the code on the certificate"
                ),
            ),
        }
    }

    pub fn zh(&self) -> String {
        self.texts().0
    }

    pub fn en(&self) -> String {
        self.texts().1
    }
}

fn value(c: char) -> Option<u32> {
    CHARSET.find(c).map(|i| i as u32)
}

/// The check character for the first 17 characters (which must be valid).
pub fn check_char(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut n = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value(c)? * w;
        n += 1;
    }
    if n != 17 || first17.chars().count() != 17 {
        return None;
    }
    let check = (31 - sum % 31) % 31;
    CHARSET.chars().nth(check as usize)
}

impl CreditCode {
    /// Accepts surrounding spaces and lower-case letters; stores the canonical upper-case form.
    pub fn parse(raw: &str) -> Result<CreditCode, CreditCodeError> {
        let code: String = raw.trim().to_ascii_uppercase();
        let n = code.chars().count();
        if n != 18 {
            return Err(CreditCodeError::Length(n));
        }
        if let Some((i, c)) = code.chars().enumerate().find(|(_, c)| value(*c).is_none()) {
            return Err(CreditCodeError::BadChar(i + 1, c));
        }
        let expected = check_char(&code[..17]).ok_or(CreditCodeError::Length(n))?;
        let found = code.chars().last().unwrap_or(' ');
        if expected != found {
            return Err(CreditCodeError::CheckChar { expected, found });
        }
        Ok(CreditCode(code))
    }

    /// Completes 17 valid characters with their check character (demo data, tests).
    pub fn complete(first17: &str) -> Option<CreditCode> {
        let c = check_char(first17)?;
        Some(CreditCode(format!("{first17}{c}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Codes printed on real, public business licences.
    const VALID: &[&str] = &[
        "91350100M000100Y43",
        "91110108551385082Q",
        "9144030071526726XG",
        "914403001922038216",
    ];

    #[test]
    fn accepts_published_codes() {
        for c in VALID {
            assert_eq!(
                CreditCode::parse(c).map(|c| c.to_string()),
                Ok(c.to_string())
            );
        }
    }

    #[test]
    fn normalises_case_and_spaces() {
        assert_eq!(
            CreditCode::parse(" 9144030071526726xg ").unwrap().as_str(),
            "9144030071526726XG"
        );
    }

    #[test]
    fn rejects_every_single_character_change() {
        for c in VALID {
            let chars: Vec<char> = c.chars().collect();
            for pos in 0..18 {
                for replacement in CHARSET.chars().filter(|r| *r != chars[pos]) {
                    let mut changed = chars.clone();
                    changed[pos] = replacement;
                    let s: String = changed.into_iter().collect();
                    assert!(
                        matches!(
                            CreditCode::parse(&s),
                            Err(CreditCodeError::CheckChar { .. })
                        ),
                        "{s} should fail the check"
                    );
                }
            }
        }
    }

    #[test]
    fn rejects_swapped_neighbours() {
        // Weights 3^i (mod 31, a prime) catch every swap of two different neighbours.
        for c in VALID {
            let chars: Vec<char> = c.chars().collect();
            for i in 0..16 {
                if chars[i] == chars[i + 1] {
                    continue;
                }
                let mut b = chars.clone();
                b.swap(i, i + 1);
                let swapped: String = b.into_iter().collect();
                assert!(CreditCode::parse(&swapped).is_err(), "{swapped}");
            }
        }
    }

    #[test]
    fn explains_length_and_characters() {
        assert_eq!(
            CreditCode::parse("9111010855138508"),
            Err(CreditCodeError::Length(16))
        );
        assert_eq!(
            CreditCode::parse("91110108551385082QQ"),
            Err(CreditCodeError::Length(19))
        );
        assert_eq!(
            CreditCode::parse("9111010855I385082Q"),
            Err(CreditCodeError::BadChar(11, 'I'))
        );
        assert_eq!(
            CreditCode::parse("911101085513850８2Q"),
            Err(CreditCodeError::BadChar(16, '８'))
        );
        let e = CreditCode::parse("91110108551385082A").unwrap_err();
        assert_eq!(
            e,
            CreditCodeError::CheckChar {
                expected: 'Q',
                found: 'A'
            }
        );
        assert!(e.zh().contains("Q"));
        assert!(e.en().contains("'Q'"));
    }

    #[test]
    fn completes_generated_codes() {
        let c = CreditCode::complete("51330100MJ0000001").unwrap();
        assert_eq!(CreditCode::parse(c.as_str()), Ok(c.clone()));
        assert!(CreditCode::complete("5133").is_none());
        assert!(CreditCode::complete("51330100MJ000000I").is_none());
    }

    #[test]
    fn check_zero_maps_from_31() {
        // Find a prefix whose weighted sum is ≡ 0 (mod 31): its check character is '0'.
        let prefix = "00000000000000000";
        assert_eq!(check_char(prefix), Some('0'));
    }
}
