//! `vocabulary!`: a closed set of words stored as text (a state, a kind, a source) as one
//! enum, parsed once at the edge, with its stored word and its label in both languages.
//! Code compares variants, never strings; SQL gets the word from `as_str`.

/// Declares `enum Name { Variant, … }` from `Variant = "word", "中文", "English";` lines,
/// with `ALL`, `parse` (the stored word → variant), `as_str` and `label(lang)`. It
/// serialises as its word (serde must be a dependency of the crate that uses it).
#[macro_export]
macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn parse(s: &str) -> Option<$name> {
                match s.trim() { $($code => Some($name::$variant),)+ _ => None }
            }
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            pub fn label(self, lang: $crate::web::Lang) -> &'static str {
                match self { $($name::$variant => lang.pick($zh, $en)),+ }
            }
        }
    };
}
