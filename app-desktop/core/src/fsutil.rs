//! Small filesystem helpers.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use crate::error::CoreError;

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename,
/// fsync of the directory. A crash leaves either the old or the new content.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CoreError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{file_name}.tmp"));
    {
        let mut file = File::create(&tmp).map_err(|e| CoreError::io("criar arquivo temporário", e))?;
        file.write_all(bytes)
            .map_err(|e| CoreError::io("gravar arquivo", e))?;
        file.sync_all()
            .map_err(|e| CoreError::io("sincronizar arquivo", e))?;
    }
    fs::rename(&tmp, path).map_err(|e| CoreError::io("renomear arquivo", e))?;
    sync_dir(dir)
}

/// fsync of a directory, so a rename in it is durable.
pub fn sync_dir(dir: &Path) -> Result<(), CoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| CoreError::io("sincronizar diretório", e))
}
