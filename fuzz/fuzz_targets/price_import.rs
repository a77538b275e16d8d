//! LiteLLM and OpenRouter price JSON (`llmcost_price_import::import`): never
//! a panic, and what an import writes is a catalog file that loads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmcost_catalog::{Catalog, CatalogFile};
use llmcost_price_import::{Format, ImportOptions, import};

fuzz_target!(|data: &[u8]| {
    let Some((&k, body)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return;
    };
    let _ = Format::detect(text);
    let format = if k & 1 == 0 { Format::LiteLlm } else { Format::OpenRouter };
    let opts = ImportOptions {
        format,
        source: "fuzz".into(),
        imported: jiff::Timestamp::UNIX_EPOCH,
        from: None,
    };
    if let Ok(i) = import(text, &opts) {
        let file = CatalogFile {
            name: "imported.toml".into(),
            text: i.toml,
        };
        if let Err(e) = Catalog::files_only(&[file]) {
            panic!("an import does not load: {e}");
        }
    }
});
