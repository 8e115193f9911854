//! Random bytes as QuickJS bytecode: the reader must return a module or an error, and the
//! lowering to eBPF a program or an error naming the instruction, never panic. The version byte
//! and the checksum are set so that inputs reach the structure behind them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxbpf::mbpf::manifest::{Hook, Manifest};
use oxbpf::lower::{self, bytecode};

fuzz_target!(|data: &[u8]| {
    let mut b = data.to_vec();
    if b.len() >= 5 {
        b[0] = bytecode::BC_VERSION;
        b[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
    }
    if bytecode::read(&b).is_ok() {
        let _ = lower::lower(&b, &Manifest::new("fuzz", "1.0", Hook::NetRx));
    }
});
