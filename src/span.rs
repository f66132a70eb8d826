//! Offsets into the input as given: the one type every citation uses.

use serde::Serialize;

/// A range of the original input, in characters (`start..end`) and bytes (`byte_start..byte_end`).
///
/// Slicing the input with `byte_start..byte_end` gives exactly the cited phrase, and so does
/// taking characters `start..end`.
///
/// ```
/// use cuishou::Span;
/// let input = "明天上*门";
/// let span = Span::from_bytes(input, 6, 13);
/// assert_eq!((span.start, span.end), (2, 5));
/// assert_eq!(span.slice(input), "上*门");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Span {
    /// First character, counted in Unicode scalar values from the start of the input.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// First byte (UTF-8).
    pub byte_start: usize,
    /// One past the last byte.
    pub byte_end: usize,
}

impl Span {
    /// Builds a span from byte offsets that lie on character boundaries of `input`.
    pub fn from_bytes(input: &str, byte_start: usize, byte_end: usize) -> Span {
        let start = input[..byte_start].chars().count();
        let end = start + input[byte_start..byte_end].chars().count();
        Span { start, end, byte_start, byte_end }
    }

    /// The text this span covers.
    pub fn slice<'a>(&self, input: &'a str) -> &'a str {
        &input[self.byte_start..self.byte_end]
    }
}
