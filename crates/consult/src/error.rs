//! Consultation errors. Every refusal a client acts on carries a code from the platform's
//! table (`platform::web::Code`), so proposals and votes answer like every other module:
//! the shared `ModuleError` (`ConsultError::field` for a bad value, `::state` for a step the
//! record's state refuses).

pub type ConsultError = platform::web::ModuleError;

pub type ConsultResult<T> = Result<T, ConsultError>;
