//! Reader of bpf_conformance `.data` files, following the upstream parser's rules.
//!
//! Per line: one trailing `\r` is stripped and everything from the first `#` is cut. A line that
//! contains `--` is a directive, matched by substring in this order: `asm`, `result`, `mem`, `raw`,
//! `no register offset` (ignored), ` c` (C source, ignored), `error`; any other directive makes the
//! whole file unusable. Empty lines are dropped.

use std::fmt;

/// The sections of one test file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestCase {
    /// `-- asm` lines, joined with newlines.
    pub asm: String,
    /// `-- raw` contents as bytes (64-bit words, or lines of eight byte tokens).
    pub raw: Vec<u8>,
    /// `-- mem` bytes: the program's input buffer.
    pub mem: Vec<u8>,
    /// `-- result`: the expected full 64-bit `r0`.
    pub result: Option<u64>,
    /// `-- error`: the expected error message (empty: any rejection).
    pub error: Option<String>,
}

/// Why a file holds no runnable test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// A directive the format does not know; the upstream runner skips such files.
    UnknownDirective(String),
    /// Neither `-- asm` nor `-- raw` holds an instruction.
    NoInstructions,
    /// Neither `-- result` nor `-- error` says what to expect.
    NoExpectation,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::UnknownDirective(d) => write!(f, "unknown directive `{d}`"),
            SkipReason::NoInstructions => f.write_str("no instructions"),
            SkipReason::NoExpectation => f.write_str("no result or error"),
        }
    }
}

/// A malformed token in a section.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DataError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

/// A parsed file: a test case, or the reason it has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A runnable test.
    Case(TestCase),
    /// Nothing to run.
    Skip(SkipReason),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Asm,
    Result,
    Mem,
    Raw,
    Ignored,
    Error,
}

fn directive(line: &str) -> Option<Section> {
    const ORDER: [(&str, Section); 7] = [
        ("asm", Section::Asm),
        ("result", Section::Result),
        ("mem", Section::Mem),
        ("raw", Section::Raw),
        ("no register offset", Section::Ignored),
        (" c", Section::Ignored),
        ("error", Section::Error),
    ];
    ORDER
        .iter()
        .find(|(k, _)| line.contains(k))
        .map(|&(_, s)| s)
}

fn hex_byte(tok: &str) -> Option<u8> {
    (tok.len() <= 2)
        .then(|| u8::from_str_radix(tok, 16).ok())
        .flatten()
}

fn number(tok: &str) -> Option<u64> {
    if let Some(h) = tok.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(d) = tok.strip_prefix('-') {
        d.parse::<u64>().ok().map(u64::wrapping_neg)
    } else {
        tok.parse().ok()
    }
}

/// Parses the text of a `.data` file.
pub fn parse(text: &str) -> Result<Parsed, DataError> {
    let mut case = TestCase::default();
    let mut section = Section::None;
    let mut result_line: Option<(usize, String)> = None;
    let mut error_line: Option<String> = None;
    let mut asm = Vec::new();
    for (i, raw_line) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let line = line.split('#').next().unwrap_or("");
        if line.contains("--") {
            section = match directive(line) {
                Some(s) => s,
                None => {
                    return Ok(Parsed::Skip(SkipReason::UnknownDirective(
                        line.trim().into(),
                    )));
                }
            };
            if section == Section::Error {
                error_line.get_or_insert_with(String::new);
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| DataError { line: n, message };
        match section {
            Section::Asm => asm.push(line.to_owned()),
            Section::Result => result_line = Some((n, line.trim().to_owned())),
            Section::Error => error_line = Some(line.trim_end().to_owned()),
            Section::Mem => {
                for tok in line.split_whitespace() {
                    case.mem
                        .push(hex_byte(tok).ok_or_else(|| bad(format!("bad mem byte `{tok}`")))?);
                }
            }
            Section::Raw => {
                let toks: Vec<&str> = line.split_whitespace().collect();
                if toks.len() == 8 && toks.iter().all(|t| t.len() == 2 && hex_byte(t).is_some()) {
                    case.raw.extend(toks.iter().filter_map(|t| hex_byte(t)));
                } else {
                    for tok in toks {
                        let w = number(tok).ok_or_else(|| bad(format!("bad raw word `{tok}`")))?;
                        case.raw.extend_from_slice(&w.to_le_bytes());
                    }
                }
            }
            Section::None | Section::Ignored => {}
        }
    }
    case.asm = asm.join("\n");
    if let Some((n, r)) = result_line {
        let v = if r.contains("0x") {
            u64::from_str_radix(r.trim_start_matches("0x"), 16).ok()
        } else {
            number(&r)
        };
        case.result = Some(v.ok_or_else(|| DataError {
            line: n,
            message: format!("bad result `{r}`"),
        })?);
    }
    case.error = error_line;
    if case.raw.is_empty() && case.asm.trim().is_empty() {
        return Ok(Parsed::Skip(SkipReason::NoInstructions));
    }
    if case.result.is_none() && case.error.is_none() {
        return Ok(Parsed::Skip(SkipReason::NoExpectation));
    }
    Ok(Parsed::Case(case))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_comments_and_results() {
        let t = "# c\n-- asm\nmov %r0, 1 # one\nexit\n-- mem\n00 ff\n1a\n-- result\n0x1\n";
        let Parsed::Case(c) = parse(t).unwrap() else {
            panic!("skipped")
        };
        assert_eq!(c.asm, "mov %r0, 1 \nexit");
        assert_eq!(c.mem, vec![0, 0xff, 0x1a]);
        assert_eq!(c.result, Some(1));
        assert_eq!(c.error, None);
    }

    #[test]
    fn raw_words_and_raw_bytes() {
        let t = "-- raw\n0x0000000000000095\n-- result\n7";
        let Parsed::Case(c) = parse(t).unwrap() else {
            panic!("skipped")
        };
        assert_eq!(c.raw, vec![0x95, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(c.result, Some(7));
        let t = "-- raw\n07 00 01 00 01 00 00 00\n-- error\n";
        let Parsed::Case(c) = parse(t).unwrap() else {
            panic!("skipped")
        };
        assert_eq!(c.raw, vec![7, 0, 1, 0, 1, 0, 0, 0]);
        assert_eq!(c.error.as_deref(), Some(""));
    }

    #[test]
    fn skips_follow_the_upstream_rules() {
        assert_eq!(parse("").unwrap(), Parsed::Skip(SkipReason::NoInstructions));
        assert_eq!(
            parse("-- asm\nexit\n").unwrap(),
            Parsed::Skip(SkipReason::NoExpectation)
        );
        assert!(matches!(
            parse("-- asm\n-- Unknown directive\n").unwrap(),
            Parsed::Skip(SkipReason::UnknownDirective(_))
        ));
        assert!(parse("-- mem\nzz\n").is_err());
    }
}
