//! Needs errors: each maps onto a code of the platform's table, so a client reads the same
//! code for the same problem whichever module answered (the shared `ModuleError`).

pub type NeedError = platform::web::ModuleError;

pub type NeedResult<T> = Result<T, NeedError>;
