//! User catalog files (TOML) as the user catalog folder and `--catalog` load
//! them (`Catalog::files_only`, the built-in schedules available). Never a
//! panic; an error names its file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmcost_catalog::{Catalog, CatalogFile};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = CatalogFile {
        name: "user.toml".into(),
        text: text.to_string(),
    };
    match Catalog::files_only(&[file]) {
        Ok(cat) => {
            // Every model resolves or says why, at one instant.
            let at = jiff::Timestamp::from_second(1_756_684_800).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            for m in cat.models() {
                let _ = cat.resolve(&m.id, at, None);
            }
        }
        Err(e) => assert_eq!(e.file, "user.toml"),
    }
});
