//! Source files and spans into them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// A span from a byte range in `file`.
    pub fn new(file: FileId, range: std::ops::Range<usize>) -> Span {
        Span {
            file,
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One loaded file: the path shown to the user and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as shown in messages, relative to the project root when inside it.
    pub name: String,
    /// Path on disk.
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl SourceFile {
    /// One-based line and column of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        line_col(&self.text, offset as usize)
    }
}

/// One-based line and column (in characters) of byte `offset` in `text`,
/// clamped to the text and to a character boundary.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every file read while loading a project, so that diagnostics can show
/// the lines they point at.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Registers a file's text; `root` shortens the name shown in messages.
    pub fn add(&mut self, path: &Path, root: &Path, text: String) -> FileId {
        let name = display_name(path, root);
        self.files.push(SourceFile {
            name,
            path: path.to_path_buf(),
            text: Arc::from(text),
        });
        FileId(self.files.len() as u32 - 1)
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }
}

/// A path relative to `root` when it lies inside, else as given.
pub fn display_name(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let mut map = SourceMap::default();
        let id = map.add(Path::new("/p/a.hcl"), Path::new("/p"), "ab\ncdé\nf".into());
        let file = map.file(id);
        assert_eq!(file.name, "a.hcl");
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(4), (2, 2));
        assert_eq!(file.line_col(8), (3, 1));
        assert_eq!(file.line_col(999), (3, 2));
    }
}
