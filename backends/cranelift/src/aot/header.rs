//! The `.oxbpf` section of an AOT object: what the code was compiled from and for.
//!
//! ```text
//! "OXBPFAOT"  u32 format
//! str oxbpf version   str architecture   u32 n + n × str CPU features
//! [u8; 32] SHA-256 of the program and the code-shaping configuration
//! u64 stack frame size   u64 max call depth   u8 has budget   u64 budget
//! u8 bounds checks   u8 counts instructions   u64 max instructions
//! u32 n + n bytes of eBPF bytecode
//! ```
//! Integers are little-endian; a `str` is a `u32` length and UTF-8 bytes.

use super::AotError;
use oxbpf_core::{Config, Program};
use sha2::{Digest, Sha256};

/// Name of the section holding the header.
pub const SECTION: &str = ".oxbpf";
const MAGIC: &[u8; 8] = b"OXBPFAOT";
/// Version of this layout (and of the compiled code's interface, [`crate::abi`]).
pub const FORMAT: u32 = 4;

/// What an AOT object records about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The oxbpf version that compiled it.
    pub version: String,
    /// The architecture of the code (`x86_64`, `aarch64`).
    pub arch: String,
    /// CPU features the code may use (Cranelift's names, such as `has_avx2`).
    pub features: Vec<String>,
    /// SHA-256 of the program and the configuration the code depends on.
    pub hash: [u8; 32],
    /// The configuration the code was compiled with.
    pub config: Config,
    /// The eBPF bytecode the code was compiled from.
    pub program: Vec<u8>,
}

/// The hash that ties compiled code to its program and configuration.
pub fn program_hash(bytecode: &[u8], config: &Config) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"oxbpf-aot\0");
    h.update((bytecode.len() as u64).to_le_bytes());
    h.update(bytecode);
    h.update((config.stack_frame_size as u64).to_le_bytes());
    h.update((config.max_call_depth as u64).to_le_bytes());
    h.update([
        u8::from(config.instruction_budget.is_some()),
        u8::from(config.bounds_check),
        u8::from(config.count_instructions),
    ]);
    h.finalize().into()
}

impl Header {
    /// The header for `program` compiled for `arch` with `features`.
    pub fn new(program: &Program, arch: &str, features: Vec<String>) -> Header {
        let bytes = program.to_bytes();
        Header {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            arch: arch.to_owned(),
            features,
            hash: program_hash(&bytes, program.config()),
            config: program.config().clone(),
            program: bytes,
        }
    }

    /// The section bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.program.len());
        let str = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        str(&mut out, &self.version);
        str(&mut out, &self.arch);
        out.extend_from_slice(&(self.features.len() as u32).to_le_bytes());
        for f in &self.features {
            str(&mut out, f);
        }
        out.extend_from_slice(&self.hash);
        let c = &self.config;
        out.extend_from_slice(&(c.stack_frame_size as u64).to_le_bytes());
        out.extend_from_slice(&(c.max_call_depth as u64).to_le_bytes());
        out.push(u8::from(c.instruction_budget.is_some()));
        out.extend_from_slice(&c.instruction_budget.unwrap_or(0).to_le_bytes());
        out.push(u8::from(c.bounds_check));
        out.push(u8::from(c.count_instructions));
        out.extend_from_slice(&(c.max_instructions as u64).to_le_bytes());
        out.extend_from_slice(&(self.program.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.program);
        out
    }

    /// Parses section bytes; errors name the offset inside the section.
    pub fn decode(bytes: &[u8]) -> Result<Header, AotError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(8)? != MAGIC {
            return Err(r.error("not an oxbpf AOT header (bad magic)"));
        }
        let format = r.u32()?;
        if format != FORMAT {
            return Err(AotError::Format {
                found: format,
                expected: FORMAT,
            });
        }
        let version = r.str()?;
        let arch = r.str()?;
        let n = r.u32()?;
        let mut features = Vec::new();
        for _ in 0..n {
            features.push(r.str()?);
        }
        let hash: [u8; 32] = r
            .take(32)?
            .try_into()
            .map_err(|_| r.error("truncated hash"))?;
        let stack_frame_size = r.usize()?;
        let max_call_depth = r.usize()?;
        let has_budget = r.u8()? != 0;
        let budget = r.u64()?;
        let bounds_check = r.u8()? != 0;
        let count_instructions = r.u8()? != 0;
        let max_instructions = r.usize()?;
        let len = r.u32()? as usize;
        let program = r.take(len)?.to_vec();
        if r.pos != bytes.len() {
            return Err(r.error("trailing bytes after the program"));
        }
        Ok(Header {
            version,
            arch,
            features,
            hash,
            config: Config {
                stack_frame_size,
                max_call_depth,
                instruction_budget: has_budget.then_some(budget),
                bounds_check,
                count_instructions,
                max_instructions,
                ..Config::default()
            },
            program,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &str) -> AotError {
        AotError::Header {
            offset: self.pos,
            message: what.to_owned(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], AotError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| self.error("truncated"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, AotError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, AotError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, AotError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }

    fn usize(&mut self) -> Result<usize, AotError> {
        let v = self.u64()?;
        usize::try_from(v).map_err(|_| self.error("value does not fit this machine"))
    }

    fn str(&mut self) -> Result<String, AotError> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| self.error("string is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxbpf_core::HelperRegistry;

    #[test]
    fn round_trips_and_rejects_every_truncation() {
        let p = Program::from_asm(
            "mov %r0, 1\nexit",
            &Config::default(),
            &HelperRegistry::new(),
        )
        .unwrap();
        let h = Header::new(&p, "x86_64", vec!["has_sse41".into()]);
        let bytes = h.encode();
        assert_eq!(Header::decode(&bytes).unwrap(), h);
        for n in 0..bytes.len() {
            assert!(Header::decode(&bytes[..n]).is_err(), "prefix of {n} bytes");
        }
    }
}
