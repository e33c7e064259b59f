//! Files and folders the server creates for itself under the data directory: the SQLite
//! database (password hashes), the mail folder (`.eml` files with live password-reset links),
//! the development secrets. None is for other local users: folders are made 0700 and files
//! 0600 on Unix, whatever the umask says. Folders and files that already exist are left as
//! they are (an operator may have chosen their modes).

use std::io;
use std::path::Path;

/// Mode of the folders the server creates.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// Mode of the files the server creates.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// `create_dir_all`, each folder it creates readable by this user alone.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIR_MODE);
    builder.create(dir)
}

/// Creates `path` empty, readable by this user alone, unless it exists already.
pub fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_FILE_MODE);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}

/// Writes `contents` to a new file at `path` (replacing one there), readable by this user alone.
pub async fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(PRIVATE_FILE_MODE);
    let mut file = options.open(path).await?;
    file.write_all(contents).await?;
    file.flush().await
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
    }

    #[test]
    fn folders_and_files_it_creates_are_private() {
        let root = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let dir = root.path().join("a/b");
        create_private_dir_all(&dir).unwrap_or_else(|err| panic!("{err}"));
        let file = dir.join("f");
        create_private_file(&file).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            [mode(&root.path().join("a")), mode(&dir), mode(&file)],
            [0o700, 0o700, 0o600]
        );
        // An existing file is kept as it is.
        create_private_file(&file).unwrap_or_else(|err| panic!("{err}"));
    }
}
