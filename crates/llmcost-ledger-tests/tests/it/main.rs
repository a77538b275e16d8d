//! The ledger conformance story on every backend available here.

mod mem;
mod sqlite;
