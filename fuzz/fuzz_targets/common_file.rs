// Shared by the file targets: the input written to one file per process.
use std::path::PathBuf;

pub fn write(data: &[u8], name: &str) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = dir.join(format!("llmcost-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join(name);
    if let Err(e) = std::fs::write(&p, data) {
        panic!("cannot write {}: {e}", p.display());
    }
    p
}
