//! `oxbpf`: run, assemble, disassemble eBPF programs and run the conformance suite.
//!
//! Every error is one line on standard error and a non-zero exit status.

/// `println!` to standard output, ending the process quietly (status 141, as a shell reports a
/// process that SIGPIPE ended) when the reader has gone, as in `oxbpf verify --log X | head`.
macro_rules! outln {
    ($($t:tt)*) => {
        $crate::output(format_args!("{}\n", format_args!($($t)*)))
    };
}

/// `print!` to standard output, as [`outln`] does.
macro_rules! out {
    ($($t:tt)*) => {
        $crate::output(format_args!($($t)*))
    };
}

/// Writes `args` to standard output, or ends the process when it is closed.
fn output(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_fmt(args)
        .and_then(|()| stdout.flush())
        .is_err()
    {
        std::process::exit(141);
    }
}

mod commands;
mod input;
mod mbpf;
mod report;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The oxbpf eBPF virtual machine.
#[derive(Parser, Debug)]
#[command(name = "oxbpf", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a program (raw bytecode `.bin`, assembly `.s`/`.asm`, an ELF object `.o` with its
    /// maps, or an AOT object) and print r0.
    Run(commands::RunArgs),
    /// Verify a program: exit 0 when accepted; exit 1 with `insn N: reason` when rejected.
    Verify(commands::VerifyArgs),
    /// List an ELF object's programs, maps and relocations.
    Inspect {
        /// The object (`clang -target bpf -c` output).
        object: PathBuf,
    },
    /// Assemble a source file into bytecode.
    Asm {
        /// Assembly source.
        input: PathBuf,
        /// Output file for the bytecode.
        #[arg(short, long)]
        output: PathBuf,
        /// Write an ELF object (`.text` and the symbol `main`) instead of raw bytecode.
        #[arg(long)]
        elf: bool,
    },
    /// Disassemble a program into assembly that `oxbpf asm` reads back.
    Disasm {
        /// Program (`.bin` bytecode or assembly).
        program: PathBuf,
    },
    /// Compile a program to native object code, run later by `oxbpf run OUT`.
    Aot(commands::AotArgs),
    /// `.mbpf` JavaScript bundles: keys, signing, verification, inspection.
    Mbpf {
        /// What to do.
        #[command(subcommand)]
        command: mbpf::MbpfCommand,
    },
    /// Run bpf_conformance `.data` files; one line per failure, then `N passed, M failed`.
    Conformance {
        /// Directories of `.data` files (not searched recursively).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Backend name, or `all`.
        #[arg(long, default_value = "interp")]
        backend: String,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            out!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's message may span lines before its usage block; fold it into one line.
            let text = e.to_string();
            let message = text
                .split("\n\nUsage")
                .next()
                .unwrap_or("invalid arguments");
            let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!("oxbpf: {}", line.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Run(args) => commands::run(&args),
        Command::Aot(args) => commands::aot(&args),
        Command::Verify(args) => commands::verify(&args),
        Command::Inspect { object } => commands::inspect(&object),
        Command::Asm { input, output, elf } => commands::asm(&input, &output, elf),
        Command::Disasm { program } => commands::disasm(&program),
        Command::Mbpf { command } => mbpf::run(&command),
        Command::Conformance { dirs, backend } => commands::conformance(&dirs, &backend),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("oxbpf: {}", e.replace(['\n', '\r'], " "));
            ExitCode::FAILURE
        }
    }
}
