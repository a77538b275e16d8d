//! Holiday-calendar warnings: the engine is `llmcost_app::quote::calendar`.

pub use llmcost_app::quote::calendar::Ended;
