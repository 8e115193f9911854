//! Strings in the lowered subset: literals and the concatenations of literals with integers
//! (`"len " + n`, `"0x" + n.toString(16)`, `"a".concat(n, "b")`), which exist to be logged.
//! A string's shape (its literal text and where each integer goes) is known when lowering;
//! only the integers are run-time values, each kept in one of [`ARG_SLOTS`] frame slots while
//! the string lives. `mbpf.log` turns a shape into a `trace_printk` format with the integers
//! as its arguments.

use std::cell::RefCell;

/// Frame slots that hold the integers of live strings.
pub(crate) const ARG_SLOTS: u8 = 4;

/// Largest format string (with its NUL) a log call builds.
pub(crate) const MAX_FORMAT: usize = 256;

/// Distinct strings one lowering keeps at most (each lookup scans them).
const MAX_STRINGS: usize = 1024;

/// Arguments `trace_printk` takes after its format.
const MAX_ARGS: usize = 3;

/// A piece of a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Literal text.
    Lit(String),
    /// An integer in decimal (JavaScript's `String(n)` of an integer), in this slot.
    Dec(u8),
    /// A non-negative integer in lower-case hexadecimal (`n.toString(16)`), in this slot.
    Hex(u8),
}

impl Part {
    /// The slot of an integer part.
    pub(crate) fn slot(&self) -> Option<u8> {
        match self {
            Part::Lit(_) => None,
            Part::Dec(s) | Part::Hex(s) => Some(*s),
        }
    }
}

/// The string shapes met while lowering one function, by id.
#[derive(Debug, Default)]
pub(crate) struct Strings(RefCell<Vec<Vec<Part>>>);

impl Strings {
    /// The id of the string made of `parts` (adjacent literals merged), or why there is none.
    pub(crate) fn intern(&self, parts: Vec<Part>) -> Result<u16, String> {
        let mut merged: Vec<Part> = Vec::with_capacity(parts.len());
        for p in parts {
            match (merged.last_mut(), p) {
                (_, Part::Lit(s)) if s.is_empty() => {}
                (Some(Part::Lit(a)), Part::Lit(b)) => a.push_str(&b),
                (_, p) => merged.push(p),
            }
        }
        if format_len("", &merged) > MAX_FORMAT {
            return Err(format!("a string longer than {MAX_FORMAT} bytes"));
        }
        let mut all = self.0.borrow_mut();
        if let Some(i) = all.iter().position(|s| *s == merged) {
            return Ok(i as u16);
        }
        if all.len() >= MAX_STRINGS {
            return Err(format!("more than {MAX_STRINGS} different strings"));
        }
        all.push(merged);
        Ok((all.len() - 1) as u16)
    }

    /// The parts of string `id`.
    pub(crate) fn get(&self, id: u16) -> Vec<Part> {
        self.0
            .borrow()
            .get(usize::from(id))
            .cloned()
            .unwrap_or_default()
    }

    /// The bytes the longest format any of these strings makes needs, with a prefix of up to
    /// `prefix` bytes.
    pub(crate) fn max_format_len(&self, prefix: usize) -> usize {
        self.0
            .borrow()
            .iter()
            .map(|s| format_len("", s) + prefix)
            .max()
            .unwrap_or(0)
    }
}

/// The length of the format of `parts` after `prefix`, with its NUL.
fn format_len(prefix: &str, parts: &[Part]) -> usize {
    prefix.len()
        + parts
            .iter()
            .map(|p| match p {
                Part::Lit(s) => s.len() + s.matches('%').count(),
                Part::Dec(_) | Part::Hex(_) => 4,
            })
            .sum::<usize>()
        + 1
}

/// The `trace_printk` format (NUL-terminated) printing `prefix` and the string of `parts`, and
/// the slots of its arguments in order; or why it cannot be logged that way.
pub(crate) fn format(prefix: &str, parts: &[Part]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut out = prefix.as_bytes().to_vec();
    let mut args = Vec::new();
    for p in parts {
        match p {
            Part::Lit(s) => {
                if s.contains('\0') {
                    return Err("a log message with a NUL character".into());
                }
                out.extend_from_slice(s.replace('%', "%%").as_bytes());
            }
            Part::Dec(slot) => {
                out.extend_from_slice(b"%lld");
                args.push(*slot);
            }
            Part::Hex(slot) => {
                out.extend_from_slice(b"%llx");
                args.push(*slot);
            }
        }
    }
    if args.len() > MAX_ARGS {
        return Err(format!(
            "a log message with more than {MAX_ARGS} numbers (trace_printk's limit)"
        ));
    }
    if out.ends_with(b"\n") {
        return Err("a log message ending in a newline (trace_printk drops it)".into());
    }
    out.push(0);
    Ok((out, args))
}
