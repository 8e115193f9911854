//! The strict CBOR reader under the manifest: definite lengths only, no negative numbers,
//! floats or tags, bounded strings and nesting, and every error at its byte offset.

use super::MbpfError;
use ciborium_ll::{Decoder, Header};

/// Deepest nesting of skipped (unknown) values.
const MAX_DEPTH: usize = 16;

/// A manifest error at byte `at` of the manifest.
pub(super) fn err(at: usize, message: impl Into<String>) -> MbpfError {
    MbpfError::Manifest {
        offset: at,
        message: message.into(),
    }
}

/// The strict reader.
pub(super) struct Reader<'a> {
    dec: Decoder<&'a [u8]>,
    len: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader {
            dec: Decoder::from(bytes),
            len: bytes.len(),
        }
    }

    pub(super) fn offset(&mut self) -> usize {
        self.dec.offset()
    }

    /// The next head, refusing what a manifest never holds.
    pub(super) fn head(&mut self) -> Result<(usize, Header), MbpfError> {
        let at = self.offset();
        let h = self.dec.pull().map_err(|e| match e {
            ciborium_ll::Error::Io(_) => err(at, "truncated CBOR"),
            ciborium_ll::Error::Syntax(o) => err(o, "malformed CBOR"),
        })?;
        match h {
            Header::Negative(_) => Err(err(at, "negative numbers are not allowed")),
            Header::Float(_) => Err(err(at, "floating-point numbers are not allowed")),
            Header::Tag(_) => Err(err(at, "CBOR tags are not allowed")),
            Header::Break => Err(err(at, "unexpected CBOR break")),
            Header::Map(None) | Header::Array(None) | Header::Text(None) | Header::Bytes(None) => {
                Err(err(at, "indefinite-length items are not allowed"))
            }
            h => Ok((at, h)),
        }
    }

    /// A definite map's pair count.
    pub(super) fn map(&mut self, what: &str) -> Result<(usize, usize), MbpfError> {
        match self.head()? {
            (at, Header::Map(Some(n))) => Ok((at, n)),
            (at, _) => Err(err(at, format!("{what} must be a map"))),
        }
    }

    /// A definite array's length.
    pub(super) fn array(&mut self, what: &str) -> Result<usize, MbpfError> {
        match self.head()? {
            (_, Header::Array(Some(n))) => Ok(n),
            (at, _) => Err(err(at, format!("{what} must be an array"))),
        }
    }

    /// The bytes of a text item of `len` bytes, refused above `max`.
    pub(super) fn text_body(
        &mut self,
        at: usize,
        len: usize,
        max: usize,
        what: &str,
    ) -> Result<String, MbpfError> {
        if len > max {
            return Err(err(at, format!("{what} is {len} bytes, longer than {max}")));
        }
        if len > self.len.saturating_sub(self.offset()) {
            return Err(err(at, "truncated CBOR"));
        }
        let mut out = Vec::with_capacity(len);
        let mut segments = self.dec.text(Some(len));
        let mut buf = [0u8; 64];
        while let Some(mut seg) = segments.pull().map_err(|_| err(at, "truncated CBOR"))? {
            while let Some(chunk) = seg.pull(&mut buf).map_err(|_| err(at, "invalid UTF-8"))? {
                out.extend_from_slice(chunk.as_bytes());
            }
        }
        String::from_utf8(out).map_err(|_| err(at, format!("{what} is not UTF-8")))
    }

    /// A text item of at most `max` bytes.
    pub(super) fn text(&mut self, max: usize, what: &str) -> Result<String, MbpfError> {
        match self.head()? {
            (at, Header::Text(Some(n))) => self.text_body(at, n, max, what),
            (at, _) => Err(err(at, format!("{what} must be text"))),
        }
    }

    /// An unsigned number that fits in 32 bits.
    pub(super) fn uint(&mut self, what: &str) -> Result<u32, MbpfError> {
        match self.head()? {
            (at, Header::Positive(n)) => {
                u32::try_from(n).map_err(|_| err(at, format!("{what} = {n} is out of range")))
            }
            (at, _) => Err(err(at, format!("{what} must be an unsigned number"))),
        }
    }

    /// Skips one value (of an unknown key), however nested, up to a depth.
    pub(super) fn skip(&mut self, depth: usize) -> Result<(), MbpfError> {
        let (at, h) = self.head()?;
        if depth > MAX_DEPTH {
            return Err(err(at, "values nested too deeply"));
        }
        match h {
            Header::Positive(_) | Header::Simple(_) => Ok(()),
            Header::Text(Some(n)) => self.text_body(at, n, usize::MAX, "text").map(drop),
            Header::Bytes(Some(n)) => {
                if n > self.len.saturating_sub(self.offset()) {
                    return Err(err(at, "truncated CBOR"));
                }
                let mut segments = self.dec.bytes(Some(n));
                let mut buf = [0u8; 64];
                while let Some(mut seg) = segments.pull().map_err(|_| err(at, "truncated CBOR"))? {
                    while seg
                        .pull(&mut buf)
                        .map_err(|_| err(at, "truncated CBOR"))?
                        .is_some()
                    {}
                }
                Ok(())
            }
            Header::Array(Some(n)) => (0..n).try_for_each(|_| self.skip(depth + 1)),
            Header::Map(Some(n)) => (0..n).try_for_each(|_| {
                self.skip(depth + 1)?;
                self.skip(depth + 1)
            }),
            _ => Err(err(at, "unexpected CBOR item")),
        }
    }
}
