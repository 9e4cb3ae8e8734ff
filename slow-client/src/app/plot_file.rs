//! The picture's file, written whole or not at all.
//!
//! The SVG is drawn into a temporary file beside the target and renamed over
//! it only when complete, so a run that fails (at setup, or while writing)
//! leaves an existing file as it was, and a reader never sees half a picture.

use slow_client::plot;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A temporary file beside `target`, renamed over it by [`PlotFile::commit`];
/// removed if dropped uncommitted.
#[derive(Debug)]
pub(super) struct PlotFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<File>,
}

impl PlotFile {
    /// Creates the temporary file now (which proves the directory writable)
    /// without touching `target`.
    ///
    /// # Errors
    /// The directory does not exist or is not writable, or `target` is a directory.
    pub(super) fn create(target: &Path) -> io::Result<Self> {
        if target.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            ));
        }
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "it names no file"))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.tmp", std::process::id()));
        let temp = target.with_file_name(temp_name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        Ok(Self {
            target: target.to_owned(),
            temp,
            file: Some(file),
        })
    }

    /// Draws `runs` into the temporary file and renames it over the target.
    ///
    /// # Errors
    /// Writing or renaming failed; the target is then unchanged and the
    /// temporary file removed.
    pub(super) fn commit(mut self, runs: &[plot::Run]) -> io::Result<()> {
        let file = self.file.take().expect("committed once");
        let mut out = BufWriter::new(file);
        out.write_all(plot::svg(runs).as_bytes())?;
        out.flush()?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.temp, &self.target)?;
        // Renamed: nothing left for Drop to remove.
        self.temp = PathBuf::new();
        Ok(())
    }
}

impl Drop for PlotFile {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "slow-client-plot-file-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_uncommitted_file_leaves_the_target_as_it_was_and_no_temp_behind() {
        let dir = scratch("drop");
        let target = dir.join("run.svg");
        fs::write(&target, "old picture").unwrap();
        drop(PlotFile::create(&target).unwrap());
        assert_eq!(fs::read_to_string(&target).unwrap(), "old picture");
        assert_eq!(entries(&dir), ["run.svg"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_committed_file_replaces_the_target_whole() {
        let dir = scratch("commit");
        let target = dir.join("run.svg");
        fs::write(&target, "old picture").unwrap();
        PlotFile::create(&target).unwrap().commit(&[]).unwrap();
        assert!(fs::read_to_string(&target).unwrap().starts_with("<svg"));
        assert_eq!(entries(&dir), ["run.svg"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_directory_or_a_directory_target_fails_at_create() {
        let dir = scratch("missing");
        assert!(PlotFile::create(&dir.join("nope").join("x.svg")).is_err());
        assert!(PlotFile::create(&dir).is_err());
        fs::remove_dir_all(dir).unwrap();
    }
}
