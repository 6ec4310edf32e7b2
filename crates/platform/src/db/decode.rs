//! Column types for `#[derive(sqlx::FromRow)]` rows read by name: what our schema stores
//! in a portable shape (flags as 0/1 integers, words of a vocabulary as text) decodes into
//! the type the code means, the same on SQLite and PostgreSQL.

use sqlx::any::{Any, AnyTypeInfo};
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Type};

/// A yes/no column stored as an integer (0 or 1), the portable boolean of our migrations.
/// Read a `bool` field with `#[sqlx(try_from = "platform::db::Flag")]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag(pub bool);

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty) || <bool as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(v: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Flag(<i64 as Decode<'r, Any>>::decode(v)? != 0))
    }
}

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

/// Decodes and binds a type kept as its text form (a vocabulary word, a unit path) through
/// its `parse` and `as_str`-like functions: one impl per type instead of a parse at every
/// read. `$parse: fn(&str) -> Option<T>`, `$text: fn(&T) -> impl AsRef<str>`.
#[macro_export]
macro_rules! stored_as_text {
    ($t:ty, $parse:expr, $text:expr) => {
        impl $crate::reexport::sqlx::Type<$crate::reexport::sqlx::Any> for $t {
            fn type_info() -> $crate::reexport::sqlx::any::AnyTypeInfo {
                <str as $crate::reexport::sqlx::Type<$crate::reexport::sqlx::Any>>::type_info()
            }
        }

        impl<'r> $crate::reexport::sqlx::Decode<'r, $crate::reexport::sqlx::Any> for $t {
            fn decode(
                v: <$crate::reexport::sqlx::Any as $crate::reexport::sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, $crate::reexport::sqlx::error::BoxDynError> {
                let s = <String as $crate::reexport::sqlx::Decode<'r, $crate::reexport::sqlx::Any>>::decode(v)?;
                let parse: fn(&str) -> Option<$t> = $parse;
                parse(&s).ok_or_else(|| format!("not a {}: {s:?}", stringify!($t)).into())
            }
        }

        impl<'q> $crate::reexport::sqlx::Encode<'q, $crate::reexport::sqlx::Any> for $t {
            fn encode_by_ref(
                &self,
                buf: &mut <$crate::reexport::sqlx::Any as $crate::reexport::sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<$crate::reexport::sqlx::encode::IsNull, $crate::reexport::sqlx::error::BoxDynError> {
                let text = $text;
                let s: String = AsRef::<str>::as_ref(&text(self)).to_owned();
                <String as $crate::reexport::sqlx::Encode<'q, $crate::reexport::sqlx::Any>>::encode(s, buf)
            }
        }
    };
}

/// A text column that may be NULL where the code wants "" (older rows, outer joins).
/// Read a `String` field with `#[sqlx(try_from = "platform::db::OrEmpty")]`.
pub struct OrEmpty(pub String);

impl Type<Any> for OrEmpty {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
}

impl<'r> Decode<'r, Any> for OrEmpty {
    fn decode(v: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(OrEmpty(
            <Option<String> as Decode<'r, Any>>::decode(v)?.unwrap_or_default(),
        ))
    }
}

impl From<OrEmpty> for String {
    fn from(t: OrEmpty) -> String {
        t.0
    }
}

/// Decodes and binds an integer newtype (an id) as its `i64`: `stored_as_int!(UnitId)`
/// for `struct UnitId(pub i64)`.
#[macro_export]
macro_rules! stored_as_int {
    ($t:ident) => {
        impl $crate::reexport::sqlx::Type<$crate::reexport::sqlx::Any> for $t {
            fn type_info() -> $crate::reexport::sqlx::any::AnyTypeInfo {
                <i64 as $crate::reexport::sqlx::Type<$crate::reexport::sqlx::Any>>::type_info()
            }

            fn compatible(ty: &$crate::reexport::sqlx::any::AnyTypeInfo) -> bool {
                <i64 as $crate::reexport::sqlx::Type<$crate::reexport::sqlx::Any>>::compatible(ty)
            }
        }

        impl<'r> $crate::reexport::sqlx::Decode<'r, $crate::reexport::sqlx::Any> for $t {
            fn decode(
                v: <$crate::reexport::sqlx::Any as $crate::reexport::sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, $crate::reexport::sqlx::error::BoxDynError> {
                Ok($t(<i64 as $crate::reexport::sqlx::Decode<'r, $crate::reexport::sqlx::Any>>::decode(v)?))
            }
        }

        impl<'q> $crate::reexport::sqlx::Encode<'q, $crate::reexport::sqlx::Any> for $t {
            fn encode_by_ref(
                &self,
                buf: &mut <$crate::reexport::sqlx::Any as $crate::reexport::sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<$crate::reexport::sqlx::encode::IsNull, $crate::reexport::sqlx::error::BoxDynError> {
                <i64 as $crate::reexport::sqlx::Encode<'q, $crate::reexport::sqlx::Any>>::encode(self.0, buf)
            }
        }
    };
}

/// An optional vocabulary word stored as text, "" for none. Read an `Option<T>` field with
/// `#[sqlx(try_from = "platform::db::Blank<T>")]`.
pub struct Blank<T>(pub Option<T>);

impl<T> Type<Any> for Blank<T> {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
}

impl<'r, T: crate::vocabulary::Word> Decode<'r, Any> for Blank<T> {
    fn decode(v: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let s = <Option<String> as Decode<'r, Any>>::decode(v)?.unwrap_or_default();
        if s.trim().is_empty() {
            return Ok(Blank(None));
        }
        T::parse(&s)
            .map(|w| Blank(Some(w)))
            .ok_or_else(|| format!("not a word of its vocabulary: {s:?}").into())
    }
}

impl<T> From<Blank<T>> for Option<T> {
    fn from(b: Blank<T>) -> Option<T> {
        b.0
    }
}
