//! A bpf_conformance plugin: `oxbpf-conformance-plugin [MEM] [--backend NAME] [--program HEX] [--elf]`.
//!
//! The program comes as hex text on standard input (or `--program HEX`): bytecode, or with `--elf`
//! an ELF object whose function `main` is the program; MEM, when present, is one argument of hex
//! bytes. On success the plugin prints `r0` in hex and exits 0; on failure it
//! prints one line and exits 1.

use oxbpf::asm::parse_hex;
use oxbpf_conformance::runner::suite_vm;
use std::io::Read;
use std::process::ExitCode;

fn run() -> Result<u64, String> {
    let mut mem = Vec::new();
    let mut backend = String::from("interp");
    let mut program_hex = None;
    let mut elf = false;
    let mut args = std::env::args().skip(1).peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--backend" => backend = args.next().ok_or("--backend needs a value")?,
            "--program" => program_hex = Some(args.next().ok_or("--program needs a value")?),
            // `--elf` or `--elf true|false`.
            "--elf" => {
                elf = args.peek().map(String::as_str) != Some("false");
                if matches!(args.peek().map(String::as_str), Some("true" | "false")) {
                    args.next();
                }
            }
            a if a.starts_with("--") => return Err(format!("unknown option {a}")),
            a => mem = parse_hex(a).map_err(|e| format!("memory: {e}"))?,
        }
    }
    let hex = match program_hex {
        Some(h) => h,
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("stdin: {e}"))?;
            s
        }
    };
    let code = parse_hex(&hex).map_err(|e| format!("program: {e}"))?;
    let vm = suite_vm(&backend).map_err(|e| e.to_string())?;
    let prog = if elf {
        vm.load_elf(&code, Some("main"))
    } else {
        vm.load_bytes(&code)
    }
    .map_err(|e| e.to_string())?;
    prog.execute(&mut mem).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(v) => {
            println!("{v:x}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{}", e.replace(['\n', '\r'], " "));
            ExitCode::FAILURE
        }
    }
}
