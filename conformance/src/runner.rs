//! Runs test cases on a backend and judges them as the upstream runner does.

use crate::data::{Parsed, SkipReason, TestCase, parse};
use oxbpf::{Error, HelperStop, Vm};
use std::fmt;
use std::path::{Path, PathBuf};

/// The stage at which a case went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The file could not be read or parsed.
    Read,
    /// The assembly text was rejected.
    Assemble,
    /// Decoding, load-time checks or preparation rejected the program.
    Load,
    /// The program trapped.
    Run,
    /// The program ran, but `r0` (or the absence of an error) was not what the file expects.
    Result,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Read => "read",
            Stage::Assemble => "assemble",
            Stage::Load => "load",
            Stage::Run => "run",
            Stage::Result => "result",
        })
    }
}

/// How a case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The behaviour matched the file.
    Pass,
    /// It did not: where and why.
    Fail {
        /// The stage that went wrong.
        stage: Stage,
        /// A one-line explanation.
        message: String,
    },
    /// The file holds nothing to run.
    Skip(SkipReason),
}

impl Outcome {
    fn fail(stage: Stage, message: impl Into<String>) -> Outcome {
        Outcome::Fail {
            stage,
            message: message.into(),
        }
    }
}

/// Helper 5 as ubpf and rbpf register it for the suite: returns its first argument
/// (`call_unwind_fail.data` and `callx.data` call it).
pub fn register_suite_helpers(vm: &mut Vm) {
    vm.register_helper_with_proto(5, "unwind", oxbpf::Proto::numbers(1), |_, [a, ..]| {
        Ok::<u64, HelperStop>(a)
    });
}

/// A VM on `backend` set up the way the suite expects, verifying every program before it
/// loads (the whole suite verifies; `negative/error.data` is rejected).
pub fn suite_vm(backend: &str) -> Result<Vm, Error> {
    let config = oxbpf::Config {
        verify: true,
        ..oxbpf::Config::default()
    };
    let mut vm = Vm::with_config(backend, config)?;
    register_suite_helpers(&mut vm);
    Ok(vm)
}

/// What happened when a case's program was built and run.
enum Ran {
    Failed(Stage, String),
    Returned(u64),
}

/// Assembles (or decodes) and loads a case's program on `vm`; a failure names its stage. With
/// `elf`, the program goes through the ELF path instead: wrapped into an object (`.text` and the
/// symbol `main`, as the upstream runner's `--elf` mode does) and loaded by the ELF loader.
fn load_case(case: &TestCase, vm: &Vm, elf: bool) -> Result<oxbpf::Loaded, (Stage, String)> {
    let loaded = if elf {
        let bytes = if case.raw.is_empty() {
            let insns = oxbpf::asm::assemble(&case.asm)
                .map_err(|e| (Stage::Assemble, e.kind.to_string()))?;
            oxbpf::isa::encode(&insns)
        } else {
            case.raw.clone()
        };
        let object = oxbpf::write_object(&bytes).map_err(|e| (Stage::Assemble, e.to_string()))?;
        vm.load_elf(&object, Some("main"))
    } else if case.raw.is_empty() {
        let insns =
            oxbpf::asm::assemble(&case.asm).map_err(|e| (Stage::Assemble, e.kind.to_string()))?;
        oxbpf::Program::from_insns(insns, vm.config(), vm.helpers())
            .map_err(Error::from)
            .and_then(|p| vm.load_program(p))
    } else {
        vm.load_bytes(&case.raw)
    };
    loaded.map_err(|e| (Stage::Load, e.to_string()))
}

fn build_and_run(case: &TestCase, vm: &Vm, elf: bool) -> Ran {
    let loaded = match load_case(case, vm, elf) {
        Ok(l) => l,
        Err((stage, message)) => return Ran::Failed(stage, message),
    };
    let mut mem = case.mem.clone();
    match loaded.execute(&mut mem) {
        Ok(v) => Ran::Returned(v),
        Err(t) => Ran::Failed(Stage::Run, t.to_string()),
    }
}

/// Runs one case on `vm` and judges it.
pub fn run_case(case: &TestCase, vm: &Vm) -> Outcome {
    judge_run(case, build_and_run(case, vm, false))
}

fn judge_run(case: &TestCase, ran: Ran) -> Outcome {
    match (&case.error, ran) {
        // An expected error: any failure with that message (or any at all for an empty one).
        (Some(expected), Ran::Failed(_, message)) => {
            if expected.is_empty() || *expected == message {
                Outcome::Pass
            } else {
                Outcome::fail(
                    Stage::Result,
                    format!("expected error `{expected}`, got `{message}`"),
                )
            }
        }
        (Some(expected), Ran::Returned(v)) => match case.result {
            Some(r) if r == v => Outcome::Pass,
            // The upstream runner accepts a zero return when a file has an error and no result.
            None if v == 0 => Outcome::Pass,
            _ => Outcome::fail(
                Stage::Result,
                format!("expected error `{expected}`, got r0 = {v:#x}"),
            ),
        },
        (None, Ran::Failed(stage, message)) => Outcome::fail(stage, message),
        (None, Ran::Returned(v)) => match case.result {
            Some(r) if r == v => Outcome::Pass,
            Some(r) => Outcome::fail(Stage::Result, format!("r0 = {v:#x}, expected {r:#x}")),
            None => Outcome::fail(Stage::Result, "no expected result"),
        },
    }
}

/// Reads and parses one file; a file with nothing to run, or one that cannot be read, is the
/// outcome to report.
fn read_case(path: &Path) -> Result<TestCase, Outcome> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Outcome::fail(Stage::Read, format!("{}: {e}", path.display())))?;
    match parse(&text) {
        Ok(Parsed::Case(c)) => Ok(c),
        Ok(Parsed::Skip(r)) => Err(Outcome::Skip(r)),
        Err(e) => Err(Outcome::fail(Stage::Read, e.to_string())),
    }
}

/// Reads, parses and runs one file on `backend`.
pub fn run_file(path: &Path, backend: &str) -> Outcome {
    run_file_via(path, backend, false)
}

/// Reads, parses and runs one file on `backend`, through the ELF loader when `elf` is set.
pub fn run_file_via(path: &Path, backend: &str, elf: bool) -> Outcome {
    let case = match read_case(path) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    match suite_vm(backend) {
        Ok(vm) => judge_run(&case, build_and_run(&case, &vm, elf)),
        Err(e) => Outcome::fail(Stage::Load, e.to_string()),
    }
}

/// What one backend did with a case: the run and the memory after it, or the load error.
type DiffOutcome = Result<(oxbpf::Execution, Vec<u8>), String>;

/// Runs one file on every backend on the same context and stack buffers and checks that all agree
/// on `r0` or the trap (kind, pc and address), the instruction count and the memory left behind
/// (or all fail to load alike). Passes for a file with nothing to run.
pub fn diff_file(path: &Path) -> Outcome {
    let case = match read_case(path) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let mut mem = case.mem.clone();
    let mut stack = oxbpf::StackBuffer::new(0);
    let mut first: Option<(&str, DiffOutcome)> = None;
    for &backend in oxbpf::BACKENDS {
        let vm = match suite_vm(backend) {
            Ok(vm) => vm,
            Err(e) => return Outcome::fail(Stage::Load, e.to_string()),
        };
        let outcome = load_case(&case, &vm, false)
            .map_err(|(_, message)| message)
            .map(|l| {
                mem.copy_from_slice(&case.mem);
                stack.reset(vm.config().stack_size());
                let e = l.execute_on(&mut mem, &mut stack);
                (e, mem.clone())
            });
        match &first {
            None => first = Some((backend, outcome)),
            Some((name, f)) if *f != outcome => {
                return Outcome::fail(
                    Stage::Result,
                    format!("{backend} gives {outcome:?}, {name} gives {f:?}"),
                );
            }
            Some(_) => {}
        }
    }
    Outcome::Pass
}

/// The `.data` files directly inside `dir`, sorted by name.
pub fn data_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "data") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Totals of a conformance run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Files with nothing to run.
    pub skipped: usize,
}

impl Totals {
    /// Adds one outcome.
    pub fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail { .. } => self.failed += 1,
            Outcome::Skip(_) => self.skipped += 1,
        }
    }
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)?;
        if self.skipped > 0 {
            write!(f, ", {} skipped", self.skipped)?;
        }
        Ok(())
    }
}
