//! Memory written as hex text, as test files and the command line give it: pairs of hex digits,
//! whitespace anywhere between them ignored (`"00 01 ff"`, `"0001ff"`).

use thiserror::Error;

/// Why hex text is not bytes.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HexError {
    /// An odd number of digits (whitespace aside).
    #[error("odd number of hex digits ({0})")]
    OddDigits(usize),
    /// A pair that is not text.
    #[error("invalid hex text")]
    NotText,
    /// A pair that is not two hex digits.
    #[error("invalid hex byte `{0}`")]
    BadByte(String),
}

/// Decodes hex text (pairs of hex digits; whitespace ignored) into bytes.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(HexError::OddDigits(digits.len()));
    }
    digits
        .chunks_exact(2)
        .map(|p| {
            let s = std::str::from_utf8(p).map_err(|_| HexError::NotText)?;
            // `from_str_radix` takes a sign; a byte is two digits.
            if !p.iter().all(u8::is_ascii_hexdigit) {
                return Err(HexError::BadByte(s.to_owned()));
            }
            u8::from_str_radix(s, 16).map_err(|_| HexError::BadByte(s.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_with_or_without_spaces() {
        assert_eq!(parse_hex("00 01 ff"), Ok(vec![0, 1, 0xff]));
        assert_eq!(parse_hex("0001FF\n"), Ok(vec![0, 1, 0xff]));
        assert_eq!(parse_hex(""), Ok(vec![]));
    }

    #[test]
    fn bad_text_names_what_is_wrong() {
        assert_eq!(parse_hex("0 01"), Err(HexError::OddDigits(3)));
        assert_eq!(parse_hex("0g"), Err(HexError::BadByte("0g".into())));
        assert_eq!(parse_hex("+1"), Err(HexError::BadByte("+1".into())));
        assert_eq!(parse_hex("aé1"), Err(HexError::NotText));
    }
}
