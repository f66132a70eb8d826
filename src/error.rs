//! Typed errors with their location: every failure cuishou reports says where it happened.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a lexicon file, with the place it was found.
///
/// Displays as `lexicons/threat.toml:41:12: THR-014: duplicate rule id (first at line 3)`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// The file, as it was named when loaded (`<embedded>/threat.toml` for the defaults).
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The rule id the problem belongs to, when there is one.
    pub rule: Option<String>,
    /// What is wrong, and what was expected.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.path, self.line, self.column)?;
        if let Some(rule) = &self.rule {
            write!(f, "{rule}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Everything that can go wrong in the library.
#[derive(Debug)]
pub enum Error {
    /// Reading a file or directory failed.
    Io {
        /// The path that could not be read.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// One or more lexicon files are broken; all problems are listed.
    Lexicon(Vec<Diagnostic>),
    /// A setting is out of range (say, a clause model's training options).
    Options(String),
    /// An input record could not be read.
    Input {
        /// 1-based line (or record) number.
        line: usize,
        /// What was wrong with it.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Lexicon(diags) => {
                write!(f, "{} lexicon problem(s)", diags.len())?;
                for d in diags {
                    write!(f, "\n{d}")?;
                }
                Ok(())
            }
            Error::Input { line, message } => write!(f, "line {line}: {message}"),
            Error::Options(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Turns a byte offset into a 1-based (line, column-in-characters) pair.
pub(crate) fn line_col(source: &str, byte: usize) -> (usize, usize) {
    let byte = byte.min(source.len());
    let before = &source[..floor_char_boundary(source, byte)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Line starts of one text, for turning many byte offsets into line numbers: scanning from
/// the start for each of a lexicon's hundreds of rules cost an eighth of building a classifier.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(source: &str) -> LineIndex {
        let starts = std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { starts }
    }

    /// The 1-based line holding byte `byte` (as [`line_col`]'s line).
    pub(crate) fn line(&self, byte: usize) -> usize {
        self.starts.partition_point(|&s| s <= byte)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let src = "a\n催收 x";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 2), (2, 1));
        assert_eq!(line_col(src, src.find('x').unwrap()), (2, 4));
    }

    #[test]
    fn line_index_agrees_with_line_col() {
        let src = "a\n催收 x\n\nend";
        let index = LineIndex::new(src);
        for byte in 0..=src.len() {
            if src.is_char_boundary(byte) {
                assert_eq!(index.line(byte), line_col(src, byte).0, "byte {byte}");
            }
        }
    }

    #[test]
    fn diagnostic_displays_file_line_rule() {
        let d = Diagnostic {
            path: "lexicons/threat.toml".into(),
            line: 41,
            column: 12,
            rule: Some("THR-014".into()),
            message: "duplicate rule id (first at line 3)".into(),
        };
        assert_eq!(d.to_string(), "lexicons/threat.toml:41:12: THR-014: duplicate rule id (first at line 3)");
    }
}
