//! The plugin binary speaks the upstream runner's protocol: program as hex on stdin (or
//! `--program`), memory as one argument of hex bytes, r0 in hex on stdout.

use std::io::Write;
use std::process::{Command, Stdio};

fn plugin(args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxbpf-conformance-plugin"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `mov %r0, %r2; add %r0, 1; exit` as the runner sends it.
const PROG: &str = "bf20000000000000\n0700000001000000\n9500000000000000\n";

#[test]
fn runs_a_program_from_stdin_with_memory() {
    // r0 = r2 + 1 = 3 + 1; the runner writes each memory byte followed by two spaces.
    assert_eq!(plugin(&["00  01  ff  "], PROG), (true, "4\n".into()));
    assert_eq!(plugin(&[], PROG), (true, "1\n".into()));
    assert_eq!(
        plugin(&["--program", &PROG.replace('\n', "")], ""),
        (true, "1\n".into())
    );
    // The runner reads r0 with strtoull(.., 16): all 64 bits in hex.
    let lddw = "18000000ffffffff00000000ffffffff9500000000000000";
    assert_eq!(plugin(&[], lddw), (true, "ffffffffffffffff\n".into()));
}

#[test]
fn failures_are_one_line_and_exit_non_zero() {
    let (ok, out) = plugin(&[], "07000100010000009500000000000000");
    assert!(!ok);
    assert_eq!(
        out,
        "insn 0: unused field offset is 0x1 in opcode 0x07; it must be 0\n"
    );
    let (ok, out) = plugin(&[], "abc");
    assert!(!ok && out.lines().count() == 1, "{out}");
    let (ok, out) = plugin(&["--elf"], "");
    assert!(!ok && out.contains("ELF"), "{out}");
}

#[test]
fn elf_input_runs_main() {
    let code = oxbpf::asm::parse_hex(PROG).unwrap();
    let object = oxbpf::write_object(&code).unwrap();
    let hex: String = object.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        plugin(&["00  01  ff  ", "--elf"], &hex),
        (true, "4\n".into())
    );
    assert_eq!(plugin(&["--elf", "true"], &hex), (true, "1\n".into()));
    // Bytecode is not an object.
    let (ok, out) = plugin(&["--elf"], PROG);
    assert!(!ok && out.contains("ELF"), "{out}");
}
