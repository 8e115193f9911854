//! The subcommands.

use crate::input::{self, Format};
use oxbpf::context::PacketContext;
use oxbpf::{BACKENDS, Config, MissingHelpers, ProgramType, Vm};
use oxbpf_conformance::runner::{Outcome, Totals, data_files, run_file};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `oxbpf run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Program file: `.bin` bytecode, `.s`/`.asm` assembly, or an object written by `oxbpf aot`.
    program: PathBuf,
    /// Backend to run on (default: interp; jit for an `.mbpf` bundle's lowered eBPF).
    #[arg(long)]
    backend: Option<String>,
    /// File whose bytes are the program's memory (r1, r2).
    #[arg(long, conflicts_with = "mem_hex")]
    mem: Option<PathBuf>,
    /// The program's memory as hex bytes, e.g. "00 01 ff".
    #[arg(long)]
    mem_hex: Option<String>,
    /// Instruction budget (default: unlimited).
    #[arg(long)]
    budget: Option<u64>,
    /// For an ELF object: the program to run, by function or section name (default: the first).
    #[arg(long = "program", value_name = "NAME")]
    name: Option<String>,
    /// The program's type, as Linux names it without `BPF_PROG_TYPE_` (`xdp`, `sched_cls`,
    /// `socket_filter`, `kprobe`, `tracepoint`, ...), or `raw` for raw memory. Its context is
    /// the type's structure: for XDP and the `__sk_buff` types over the packet --mem gives (the
    /// action is printed after r0), for the others --mem is the structure's bytes. Default: an
    /// ELF program's section decides (`SEC("xdp")`); other programs get raw memory.
    #[arg(long = "type", value_name = "TYPE")]
    program_type: Option<String>,
    /// For an ELF object or an `.mbpf` bundle: print its maps' contents as JSON after the run.
    #[arg(long)]
    dump_maps: bool,
    /// Load without verifying (the run-time checks alone keep memory safe).
    #[arg(long)]
    no_verify: bool,
    /// How loops must be shown to end: `budget` (the default here: proven safe for any number
    /// of iterations; a run that does not end stops at --budget, or with Ctrl-C) or `proven`
    /// (walked until they end, as Linux does).
    #[arg(long, value_enum, default_value = "budget")]
    termination: TerminationArg,
    /// Load a program that calls Linux helpers oxbpf does not implement (`bpf_fib_lookup`,
    /// ...): verified against Linux's prototypes, a call to one traps with its name. Without
    /// this, such a program does not load.
    #[arg(long)]
    trap_missing_helpers: bool,
    /// For an `.mbpf` bundle: a public key (or keypair) file whose signatures are trusted;
    /// repeatable.
    #[arg(long, value_name = "KEY.pub")]
    trust: Vec<PathBuf>,
    /// For an `.mbpf` bundle: a field of the hook's `ctx`, NAME=VALUE (e.g. `subject_id=1000`);
    /// repeatable. Lengths default to the data's.
    #[arg(long = "ctx", value_name = "NAME=VALUE")]
    ctx_fields: Vec<String>,
    /// For an `.mbpf` bundle: run it even when it is not signed (its source is compiled; its
    /// bytecode is never used).
    #[arg(long)]
    allow_unsigned: bool,
    #[command(flatten)]
    object: ObjectArgs,
}

/// `--termination`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum TerminationArg {
    Proven,
    Budget,
}

impl TerminationArg {
    /// Sets `vm`'s verifier to this policy.
    fn apply(self, vm: &mut Vm) {
        vm.verifier_mut().termination = match self {
            TerminationArg::Proven => oxbpf::Termination::Proven,
            TerminationArg::Budget => oxbpf::Termination::Budget,
        };
    }
}

/// What a host decides when it opens an ELF object (`--kconfig`, `--max-entries`,
/// `--value-size`).
#[derive(clap::Args, Debug)]
struct ObjectArgs {
    /// For an ELF object: the value of an `extern ... __kconfig` variable, NAME=VALUE (e.g.
    /// `LINUX_KERNEL_VERSION=0x60100`); repeatable. Default: this machine's kernel version.
    #[arg(long = "kconfig", value_name = "NAME=VALUE")]
    kconfig: Vec<String>,
    /// For an ELF object: the number of entries of a map, MAP=N, whatever the object says (as
    /// tools set the size of maps they leave to run time); repeatable.
    #[arg(long = "max-entries", value_name = "MAP=N")]
    max_entries: Vec<String>,
    /// For an ELF object: the value size of a map in bytes, MAP=N, whatever the object says
    /// (a stack trace map's depth times 8, say); repeatable.
    #[arg(long = "value-size", value_name = "MAP=N")]
    value_size: Vec<String>,
}

impl ObjectArgs {
    /// The options these arguments give.
    fn options(&self) -> Result<oxbpf::OpenOptions, String> {
        let mut o = oxbpf::OpenOptions::new();
        for kv in &self.kconfig {
            let (name, value) = split_pair(kv, "--kconfig")?;
            o.kconfig(
                name,
                parse_number(value).ok_or_else(|| bad_pair(kv, "--kconfig"))?,
            );
        }
        for (pairs, flag) in [
            (&self.max_entries, "--max-entries"),
            (&self.value_size, "--value-size"),
        ] {
            for kv in pairs {
                let (name, value) = split_pair(kv, flag)?;
                let n = parse_number(value)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| bad_pair(kv, flag))?;
                if flag == "--max-entries" {
                    o.max_entries(name, n);
                } else {
                    o.value_size(name, n);
                }
            }
        }
        Ok(o)
    }

    /// Whether any was given.
    fn any(&self) -> bool {
        !self.kconfig.is_empty() || !self.max_entries.is_empty() || !self.value_size.is_empty()
    }
}

/// `NAME=VALUE` split at its `=`.
fn split_pair<'a>(kv: &'a str, flag: &str) -> Result<(&'a str, &'a str), String> {
    kv.split_once('=')
        .filter(|(n, v)| !n.is_empty() && !v.is_empty())
        .ok_or_else(|| bad_pair(kv, flag))
}

/// The error for a malformed `NAME=VALUE`.
fn bad_pair(kv: &str, flag: &str) -> String {
    format!("{flag} {kv}: expected NAME=NUMBER (decimal or 0x hex)")
}

/// A decimal or `0x` hexadecimal number.
fn parse_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// `oxbpf run`. An ELF object runs with its maps and the standard helpers; other programs get
/// helper 5 (`unwind`, as the conformance suite expects).
pub fn run(args: &RunArgs) -> Result<ExitCode, String> {
    if input::is_bundle(&args.program)? {
        let data = memory(args)?;
        let policy = crate::mbpf::policy(&args.trust, args.allow_unsigned)?;
        return crate::mbpf::run_bundle(
            &args.program,
            data,
            &args.ctx_fields,
            &policy,
            args.dump_maps,
            args.backend.as_deref(),
        );
    }
    if !args.trust.is_empty() || args.allow_unsigned || !args.ctx_fields.is_empty() {
        return Err("--trust, --allow-unsigned and --ctx apply to .mbpf bundles".into());
    }
    let chosen = args.program_type.as_deref().map(parse_type).transpose()?;
    let config = Config {
        instruction_budget: args.budget,
        verify: !args.no_verify,
        ..Config::default()
    };
    let backend = args.backend.as_deref().unwrap_or("interp");
    let mut vm = Vm::with_config(backend, config).map_err(|e| e.to_string())?;
    args.termination.apply(&mut vm);
    choose_type(&mut vm, chosen);
    if args.trap_missing_helpers {
        vm.set_missing_helpers(MissingHelpers::Trap);
    }
    let mut mem = memory(args)?;
    let aot_object = input::is_object(&args.program)?;
    let elf = !aot_object && input::format_of(&args.program).ok() == Some(Format::Elf);
    if (args.name.is_some() || args.dump_maps || args.object.any()) && !elf {
        return Err(
            "--program, --dump-maps, --kconfig, --max-entries and --value-size apply to ELF objects \
             (.o)".into(),
        );
    }
    if !elf {
        oxbpf_conformance::runner::register_suite_helpers(&mut vm);
    }
    let mut program_type = vm.program_type();
    let loaded = if elf {
        let bytes = input::read(&args.program)?;
        let at = |e: oxbpf::Error| format!("{}: {e}", args.program.display());
        let obj = oxbpf::Object::open_with(&bytes, &args.object.options()?).map_err(at)?;
        program_type = obj.program_type(&vm, args.name.as_deref()).map_err(at)?;
        if chosen.is_none() {
            note_untyped(&vm, &obj, args.name.as_deref());
        }
        obj.load(&vm, args.name.as_deref()).map_err(at)?
    } else if aot_object {
        // An AOT object carries its own program and configuration.
        let bytes = input::read(&args.program)?;
        vm.load_aot(&bytes)
            .map_err(|e| format!("{}: {e}", args.program.display()))?
    } else {
        let program = input::load_program(&args.program, vm.config(), &vm.program_helpers())?;
        vm.load_program(program).map_err(|e| e.to_string())?
    };
    let packet = program_type.filter(|t| t.context().is_some_and(|l| l.packet.is_some()));
    let r0 = match packet {
        Some(t) => {
            let mut ctx = PacketContext::new(t, &mem).map_err(|e| e.to_string())?;
            ctx.run(&loaded).map_err(|t| t.to_string())?
        }
        None => loaded.execute(&mut mem).map_err(|t| t.to_string())?,
    };
    outln!("{r0:#x}");
    if let Some(action) = program_type.and_then(|t| t.action_name(r0)) {
        outln!("{action}");
    }
    if args.dump_maps {
        outln!("{}", crate::report::maps_json(loaded.maps()));
    }
    Ok(ExitCode::SUCCESS)
}

/// A `--type` argument: a program type, or `None` for `raw` (raw memory).
fn parse_type(name: &str) -> Result<Option<ProgramType>, String> {
    if name == "raw" {
        return Ok(None);
    }
    ProgramType::from_name(name).map(Some).ok_or_else(|| {
        let names: Vec<&str> = ProgramType::ALL.iter().map(|t| t.name()).collect();
        format!(
            "--type {name}: no such program type (raw, {})",
            names.join(", ")
        )
    })
}

/// Says on stderr when an ELF program's section gives it no type (`SEC("filter")`), so that
/// it runs over raw memory: a program written for a type should be given it with --type.
fn note_untyped(vm: &Vm, obj: &oxbpf::Object, name: Option<&str>) {
    if let (Ok(None), Ok(p)) = (obj.program_type(vm, name), obj.elf().program(name)) {
        eprintln!(
            "note: section `{}` of `{}` names no program type: its context is raw memory \
             (give the type with --type)",
            p.section, p.name
        );
    }
}

/// Applies a `--type` choice to `vm`: a type for every program, raw memory for every program,
/// or (no choice) sections decide.
fn choose_type(vm: &mut Vm, chosen: Option<Option<ProgramType>>) {
    match chosen {
        Some(Some(t)) => vm.set_program_type(Some(t)),
        Some(None) => vm.use_section_types(false),
        None => {}
    }
}

/// The program's memory from `--mem` or `--mem-hex` (empty without either).
fn memory(args: &RunArgs) -> Result<Vec<u8>, String> {
    match (&args.mem, &args.mem_hex) {
        (Some(path), _) => input::read(path),
        (None, Some(hex)) => input::parse_mem_hex(hex),
        (None, None) => Ok(Vec::new()),
    }
}

/// Arguments of `oxbpf verify`.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Program file: `.bin` bytecode, `.s`/`.asm` assembly, or an ELF object `.o`.
    program: PathBuf,
    /// Program of an ELF object (function or section name; default: the first).
    #[arg(long = "program", value_name = "NAME")]
    name: Option<String>,
    /// Print the abstract state before each instruction along the path verified last.
    #[arg(long)]
    log: bool,
    /// The program's type (see `oxbpf run --type`); default: an ELF program's section decides.
    #[arg(long = "type", value_name = "TYPE")]
    program_type: Option<String>,
    /// How loops must be shown to end: `proven` (walked until they end, as Linux does) or
    /// `budget` (proven safe for any number of iterations; a run that does not end stops at the
    /// instruction budget).
    #[arg(long, value_enum, default_value = "proven")]
    termination: TerminationArg,
    #[command(flatten)]
    object: ObjectArgs,
}

/// `oxbpf verify`: prints `accepted` and exits 0, or prints `insn N: reason` and exits 1.
pub fn verify(args: &VerifyArgs) -> Result<ExitCode, String> {
    let mut vm = Vm::new("interp").map_err(|e| e.to_string())?;
    args.termination.apply(&mut vm);
    let chosen = args.program_type.as_deref().map(parse_type).transpose()?;
    choose_type(&mut vm, chosen);
    // Verifying needs Linux's prototypes of the helpers called, not their implementations.
    vm.set_missing_helpers(MissingHelpers::Trap);
    let elf = input::format_of(&args.program).ok() == Some(Format::Elf);
    let (result, log) = if elf {
        let bytes = input::read(&args.program)?;
        let obj = oxbpf::Object::open_with(&bytes, &args.object.options()?)
            .map_err(|e| format!("{}: {e}", args.program.display()))?;
        if chosen.is_none() {
            note_untyped(&vm, &obj, args.name.as_deref());
        }
        obj.verify(&vm, args.name.as_deref(), args.log)
    } else {
        oxbpf_conformance::runner::register_suite_helpers(&mut vm);
        let program = input::load_program(&args.program, vm.config(), &vm.program_helpers())?;
        if args.log {
            vm.verify_with_log(&program)
        } else {
            (vm.verify(&program), Vec::new())
        }
    };
    for line in &log {
        outln!("{line}");
    }
    match result {
        Ok(v) => {
            outln!(
                "accepted ({} instructions processed, {} states kept)",
                v.steps,
                v.states
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(oxbpf::Error::Verify(e)) => {
            outln!("{e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(format!("{}: {e}", args.program.display())),
    }
}

/// `oxbpf inspect`: an ELF object's programs, maps and relocations.
pub fn inspect(path: &Path) -> Result<ExitCode, String> {
    let bytes = input::read(path)?;
    let obj = oxbpf::ElfObject::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    out!("{}", crate::report::inspect(&obj));
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `oxbpf aot`.
#[derive(clap::Args, Debug)]
pub struct AotArgs {
    /// Program file: `.bin` bytecode, or `.s`/`.asm` assembly.
    program: PathBuf,
    /// Output object file.
    #[arg(short, long)]
    output: PathBuf,
    /// Machine to compile for: `host` (this machine and its CPU features), `x86_64` or `aarch64`.
    #[arg(long, default_value = "host")]
    target: String,
    /// Instruction budget compiled into the object (default: unlimited).
    #[arg(long)]
    budget: Option<u64>,
}

/// `oxbpf aot`.
pub fn aot(args: &AotArgs) -> Result<ExitCode, String> {
    let target: oxbpf::Target = args.target.parse()?;
    let config = Config {
        instruction_budget: args.budget,
        ..Config::default()
    };
    let mut vm = Vm::with_config("interp", config).map_err(|e| e.to_string())?;
    oxbpf_conformance::runner::register_suite_helpers(&mut vm);
    let program = input::load_program(&args.program, vm.config(), vm.helpers())?;
    let object = oxbpf::aot::compile(&program, target).map_err(|e| e.to_string())?;
    std::fs::write(&args.output, object).map_err(|e| format!("{}: {e}", args.output.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// `oxbpf asm`.
pub fn asm(input: &Path, output: &Path, elf: bool) -> Result<ExitCode, String> {
    let bytes = input::read(input)?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", input.display()))?;
    let insns = oxbpf::asm::assemble(&text).map_err(|e| format!("{}: {e}", input.display()))?;
    let mut bytes = oxbpf::isa::encode(&insns);
    if elf {
        bytes = oxbpf::write_object(&bytes).map_err(|e| e.to_string())?;
    }
    std::fs::write(output, bytes).map_err(|e| format!("{}: {e}", output.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// `oxbpf disasm`.
pub fn disasm(program: &Path) -> Result<ExitCode, String> {
    let insns = input::read_insns(program, false)?;
    let mut out = String::new();
    for insn in insns
        .iter()
        .filter(|i| !matches!(i, oxbpf::Insn::LoadImm64Tail))
    {
        out.push_str(&insn.to_string());
        out.push('\n');
    }
    out!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// `oxbpf conformance`.
pub fn conformance(dirs: &[PathBuf], backend: &str) -> Result<ExitCode, String> {
    let backends: Vec<&str> = if backend == "all" {
        BACKENDS.to_vec()
    } else if let Some(b) = BACKENDS.iter().find(|b| **b == backend) {
        vec![*b]
    } else {
        return Err(format!(
            "unknown backend `{backend}` (available: {}, all)",
            BACKENDS.join(", ")
        ));
    };
    let mut files = Vec::new();
    for dir in dirs {
        let found = data_files(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if found.is_empty() {
            return Err(format!("{}: no .data files", dir.display()));
        }
        files.extend(found);
    }
    let mut totals = Totals::default();
    for b in &backends {
        for f in &files {
            let outcome = run_file(f, b);
            if let Outcome::Fail { stage, message } = &outcome {
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                outln!("FAIL {b}/{name}: {stage}: {message}");
            }
            totals.add(&outcome);
        }
    }
    outln!("{totals}");
    Ok(if totals.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
