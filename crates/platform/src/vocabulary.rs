//! `vocabulary!`: a closed set of words stored as text (a state, a kind, a source) as one
//! enum, parsed once at the edge, with its stored word and its label in both languages.
//! Code compares variants, never strings; SQL gets the word from `as_str`.

/// Declares `enum Name { Variant, … }` from `Variant = "word", "中文", "English";` lines,
/// with `ALL`, `parse` (the stored word → variant), `as_str` and `label(lang)`. It
/// serialises as its word (serde must be a dependency of the crate that uses it), binds and
/// decodes as its word in SQL (a `FromRow` field of its type reads the column directly).
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

        $crate::stored_as_text!($name, $name::parse, |v: &$name| v.as_str());

        impl $crate::vocabulary::Word for $name {
            fn parse(s: &str) -> Option<$name> {
                $name::parse(s)
            }
        }

        impl From<$name> for $crate::db::Bind {
            fn from(v: $name) -> $crate::db::Bind {
                $crate::db::Bind::Text(v.as_str().to_string())
            }
        }
    };
}

/// A vocabulary's words, for code generic over vocabularies (an optional word stored as
/// "", see [`crate::db::Blank`]).
pub trait Word: Sized {
    fn parse(s: &str) -> Option<Self>;
}
