//! In-app notifications moved to the platform (`platform::notify`, one bell for every
//! module); the library's callers keep using this path.

pub use platform::notify::*;
