//! `oxbpf mbpf ...`: the `.mbpf` bundle toolchain (keys, signing, verification, inspection).

use crate::input;
use oxbpf::mbpf::container::{self, Container, section};
use oxbpf::mbpf::{Bundle, LoadPolicy, manifest, sign};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The bundle subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum MbpfCommand {
    /// Compile a JavaScript program to QuickJS bytecode and package it with its manifest.
    Build(BuildArgs),
    /// Write a new Ed25519 keypair to KEY (64 bytes: seed and public key) and its public key to
    /// KEY.pub (32 bytes).
    Keygen {
        /// The keypair file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Sign a bundle with a keypair.
    Sign {
        /// The keypair file.
        #[arg(short, long)]
        key: PathBuf,
        /// The unsigned bundle.
        #[arg(short, long)]
        input: PathBuf,
        /// The signed bundle.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Check a bundle's CRCs and signature: exit 0 when it verifies under KEY, 1 otherwise.
    Verify {
        /// The public key (32 bytes) or keypair file.
        #[arg(short, long)]
        key: PathBuf,
        /// The bundle.
        #[arg(short, long)]
        input: PathBuf,
    },
    /// Print a bundle's header, section table and manifest as JSON.
    Inspect {
        /// The bundle.
        input: PathBuf,
    },
}

/// Runs a bundle subcommand.
pub fn run(cmd: &MbpfCommand) -> Result<ExitCode, String> {
    match cmd {
        MbpfCommand::Build(args) => build(args),
        MbpfCommand::Keygen { output } => keygen(output),
        MbpfCommand::Sign { key, input, output } => sign_file(key, input, output),
        MbpfCommand::Verify { key, input } => verify(key, input),
        MbpfCommand::Inspect { input } => inspect(input),
    }
}

/// Arguments of `oxbpf mbpf build`.
#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// The JavaScript program (`mbpf_prog(ctx)`, optional `mbpf_init()` / `mbpf_fini()`).
    input: PathBuf,
    /// Program name (at most 63 bytes).
    #[arg(long)]
    name: String,
    /// Program version (at most 31 bytes).
    #[arg(long)]
    version: String,
    /// The hook: net_rx, net_tx, tracepoint, timer, security or custom.
    #[arg(long)]
    hook: String,
    /// Capabilities, comma-separated: CAP_LOG, CAP_MAP_READ, CAP_MAP_WRITE, CAP_MAP_ITERATE,
    /// CAP_EMIT, CAP_TIME, CAP_STATS.
    #[arg(long, value_delimiter = ',')]
    caps: Vec<String>,
    /// Heap bytes (at least 8192).
    #[arg(long, default_value_t = 8192)]
    heap: u32,
    /// Step budget per run (interrupt-handler calls, one per 10,000 steps; 0: the default).
    #[arg(long, default_value_t = 10_000)]
    max_steps: u32,
    /// Helper calls per run.
    #[arg(long, default_value_t = 100)]
    max_helpers: u32,
    /// Wall time per run in microseconds (default: unlimited).
    #[arg(long)]
    max_time_us: Option<u32>,
    /// A map, NAME:TYPE:KEY:VALUE:MAX (TYPE: array, hash, lru_hash, ring, counter,
    /// percpu_array, percpu_hash); repeatable.
    #[arg(long = "map", value_name = "NAME:TYPE:KEY:VALUE:MAX")]
    maps: Vec<String>,
    /// Also store the source (section 0x100), so unsigned or untrusted hosts can compile it.
    #[arg(long)]
    source: bool,
    /// Entry function name.
    #[arg(long, default_value = manifest::DEFAULT_ENTRY)]
    entry: String,
    /// Also lower the entry function to eBPF (section 0x102), run instead of QuickJS where it
    /// loads; a function outside the subset is reported and the bundle stays on QuickJS.
    #[arg(long)]
    lower: bool,
    /// The bundle to write.
    #[arg(short, long)]
    output: PathBuf,
}

/// Parses `--map NAME:TYPE:KEY:VALUE:MAX`.
fn map_decl(spec: &str) -> Result<manifest::MapDecl, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let [name, kind, key, value, max] = parts[..] else {
        return Err(format!("--map {spec}: expected NAME:TYPE:KEY:VALUE:MAX"));
    };
    let kind = manifest::MapKind::from_name(kind)
        .ok_or_else(|| format!("--map {spec}: unknown map type `{kind}`"))?;
    let num = |s: &str, what: &str| {
        s.parse::<u32>()
            .map_err(|_| format!("--map {spec}: {what} `{s}` is not a number"))
    };
    if !manifest::valid_map_name(name) || name.len() > manifest::MAX_SHORT_NAME {
        return Err(format!(
            "--map {spec}: the name must be 1 to 31 printable ASCII characters without quotes or backslash"
        ));
    }
    Ok(manifest::MapDecl {
        name: name.to_owned(),
        kind,
        key_size: num(key, "key size")?,
        value_size: num(value, "value size")?,
        max_entries: num(max, "max entries")?,
        flags: 0,
    })
}

/// The manifest `build` writes.
fn build_manifest(args: &BuildArgs) -> Result<manifest::Manifest, String> {
    let hook = manifest::Hook::from_name(&args.hook).ok_or_else(|| {
        format!(
            "--hook {}: expected net_rx, net_tx, tracepoint, timer, security or custom",
            args.hook
        )
    })?;
    if args.name.is_empty() || args.name.len() > manifest::MAX_NAME {
        return Err("--name must be 1 to 63 bytes".into());
    }
    if args.version.len() > manifest::MAX_SHORT_NAME {
        return Err("--version must be at most 31 bytes".into());
    }
    if args.heap < manifest::MIN_HEAP {
        return Err(format!(
            "--heap {} is below {}",
            args.heap,
            manifest::MIN_HEAP
        ));
    }
    let mut m = manifest::Manifest::new(&args.name, &args.version, hook);
    m.entry = args.entry.clone();
    m.heap_size = args.heap;
    m.budgets = manifest::Budgets {
        max_steps: args.max_steps,
        max_helpers: args.max_helpers,
        max_wall_time_us: args.max_time_us,
    };
    for cap in args.caps.iter().filter(|c| !c.is_empty()) {
        m.capabilities |= manifest::capability_bit(cap)
            .ok_or_else(|| format!("--caps: unknown capability `{cap}`"))?;
    }
    m.maps = args
        .maps
        .iter()
        .map(|s| map_decl(s))
        .collect::<Result<_, _>>()?;
    for (i, d) in m.maps.iter().enumerate() {
        if m.maps[..i].iter().any(|o| o.name == d.name) {
            return Err(format!("--map: two maps are named `{}`", d.name));
        }
    }
    Ok(m)
}

fn build(args: &BuildArgs) -> Result<ExitCode, String> {
    let m = build_manifest(args)?;
    let source = input::read(&args.input)?;
    let source =
        String::from_utf8(source).map_err(|_| format!("{}: not UTF-8", args.input.display()))?;
    let bytecode = oxbpf_quickjs::compile(&source, &m.entry)
        .map_err(|e| format!("{}: {e}", args.input.display()))?;
    let encoded = manifest::encode(&m);
    let mut sections: Vec<(u32, &[u8])> = vec![
        (section::MANIFEST, &encoded),
        (section::QJS_BYTECODE, &bytecode),
    ];
    if args.source {
        sections.push((section::JS_SOURCE, source.as_bytes()));
    }
    let text;
    if args.lower {
        let vm = oxbpf::Vm::new("interp").map_err(|e| e.to_string())?;
        match vm.lower_bundle(&bytecode, &m) {
            Ok(insns) => {
                text = oxbpf::isa::encode(&insns);
                sections.push((section::EBPF_TEXT, &text));
            }
            Err(e) => {
                // The lowering's own reason as it gives it; the verifier's with its prefix.
                let why = match e {
                    oxbpf::Error::Lowered(why) => why,
                    e => e.to_string(),
                };
                eprintln!(
                    "oxbpf: {}: not lowered, the bundle runs on QuickJS: {why}",
                    args.input.display()
                );
            }
        }
    }
    let bundle = container::write(&sections, 0, true).map_err(|e| e.to_string())?;
    write(&args.output, &bundle)?;
    Ok(ExitCode::SUCCESS)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn keygen(output: &Path) -> Result<ExitCode, String> {
    let key = sign::generate_key().map_err(|e| e.to_string())?;
    write(output, &sign::keypair_file(&key))?;
    let mut public = output.as_os_str().to_owned();
    public.push(".pub");
    write(Path::new(&public), &key.verifying_key().to_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn sign_file(key: &Path, input: &Path, output: &Path) -> Result<ExitCode, String> {
    let key =
        sign::read_keypair(&input::read(key)?).map_err(|e| format!("{}: {e}", key.display()))?;
    let signed =
        sign::sign(&input::read(input)?, &key).map_err(|e| format!("{}: {e}", input.display()))?;
    write(output, &signed)?;
    Ok(ExitCode::SUCCESS)
}

fn verify(key: &Path, input: &Path) -> Result<ExitCode, String> {
    let key =
        sign::read_public_key(&input::read(key)?).map_err(|e| format!("{}: {e}", key.display()))?;
    let bytes = input::read(input)?;
    let checked = Container::parse(&bytes).and_then(|c| {
        c.check_crcs()?;
        sign::verify(&c, &key)
    });
    match checked {
        Ok(()) => {
            outln!("{}: signature verified", input.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("oxbpf: {}: {e}", input.display());
            Ok(ExitCode::from(1))
        }
    }
}

fn inspect(input: &Path) -> Result<ExitCode, String> {
    let bytes = input::read(input)?;
    let c = Container::parse(&bytes).map_err(|e| format!("{}: {e}", input.display()))?;
    let sections: Vec<_> = c
        .sections
        .iter()
        .map(|d| {
            json!({
                "type": d.kind,
                "name": section::name(d.kind),
                "offset": d.offset,
                "length": d.length,
                "crc32": d.crc32,
            })
        })
        .collect();
    let manifest = match c.section(section::MANIFEST).map(manifest::decode) {
        Some(Ok(m)) => manifest_json(&m),
        Some(Err(e)) => json!({ "error": e.to_string() }),
        None => serde_json::Value::Null,
    };
    // QuickJS bytecode, disassembled (what the lowering to eBPF starts from).
    let bytecode =
        c.section(section::QJS_BYTECODE)
            .map(|b| match oxbpf::lower::bytecode::read(b) {
                Ok(m) => {
                    let functions: Vec<_> = m
                        .function
                        .all()
                        .iter()
                        .map(|f| {
                            json!({
                                "name": f.name.text(),
                                "arguments": f.arg_count,
                                "locals": f.var_count,
                                "stack_size": f.stack_size,
                                "code": f.code.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
                            })
                        })
                        .collect();
                    json!({ "functions": functions })
                }
                Err(e) => json!({ "error": e.to_string() }),
            });
    // The lowered eBPF the bundle carries, and whether its bytecode lowers (and why not).
    let lowered = c
        .section(section::EBPF_TEXT)
        .map(|t| match oxbpf::isa::decode(t) {
            Ok(insns) => json!(oxbpf::lower::listing(&insns)),
            Err(e) => json!({ "error": e.to_string() }),
        });
    let lowering = match (
        c.section(section::QJS_BYTECODE),
        c.section(section::MANIFEST).map(manifest::decode),
    ) {
        (Some(b), Some(Ok(m))) => match oxbpf::lower::lower(b, &m) {
            Ok(_) => json!("lowers"),
            Err(e) => json!({ "not_lowered": e.to_string() }),
        },
        _ => serde_json::Value::Null,
    };
    let report = json!({
        "header": {
            "header_size": c.header_size,
            "flags": c.flags,
            "signed": sign::is_signed(&c),
            "file_crc32": c.file_crc32,
        },
        "crc": match c.check_crcs() { Ok(()) => "ok".to_owned(), Err(e) => e.to_string() },
        "sections": sections,
        "manifest": manifest,
        "bytecode": bytecode,
        "lowering": lowering,
        "lowered_ebpf": lowered,
    });
    outln!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs a bundle's hook once on `data` (the packet or context bytes) under `policy`; prints the
/// return code. A run that fails returns the hook's default, reported on stderr.
pub fn run_bundle(
    path: &Path,
    data: Vec<u8>,
    fields: &[String],
    policy: &LoadPolicy,
    dump_maps: bool,
    backend: Option<&str>,
) -> Result<ExitCode, String> {
    let bytes = input::read(path)?;
    let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let bundle = Bundle::open(&bytes, policy).map_err(|e| at(&e))?;
    let hook = bundle.manifest.hook;
    let mut input = oxbpf_quickjs::HookInput::new(hook, data);
    let names: Vec<&'static str> = input.fields().iter().map(|f| f.0).collect();
    for f in fields {
        let (name, value) = f
            .split_once('=')
            .ok_or_else(|| format!("--ctx {f}: expected NAME=VALUE"))?;
        let name = names.iter().find(|n| **n == name).ok_or_else(|| {
            format!(
                "--ctx {f}: the {} hook's fields are {}",
                hook.name(),
                names.join(", ")
            )
        })?;
        let value: f64 = value
            .parse()
            .map_err(|_| format!("--ctx {f}: `{value}` is not a number"))?;
        input = input.with(name, value);
    }
    if bundle.ebpf.is_some() {
        // The lowered eBPF, on the chosen backend (the JIT by default), on the context blob.
        let vm = oxbpf::Vm::new(backend.unwrap_or("jit")).map_err(|e| e.to_string())?;
        let loaded = vm.load_opened_bundle(&bundle).map_err(|e| at(&e))?;
        let rc = loaded.execute(&mut input.to_blob()).map_err(|e| at(&e))?;
        outln!("{rc:#x}");
        if dump_maps {
            outln!("{}", crate::report::bundle_maps_json(loaded.maps()));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if backend.is_some_and(|b| b != "interp") {
        eprintln!(
            "oxbpf: {}: no lowered eBPF (build it with --lower): the bundle runs on QuickJS",
            path.display()
        );
    }
    let mut instance = oxbpf_quickjs::Instance::new(&bundle).map_err(|e| at(&e))?;
    let result = instance.run(&input);
    for line in instance.take_logs() {
        eprintln!("{line}");
    }
    outln!("{:#x}", result.rc as u32);
    if dump_maps {
        outln!("{}", crate::report::bundle_maps_json(instance.maps()));
    }
    if let Some(f) = result.failure {
        eprintln!(
            "oxbpf: {}: {f}; the {} hook's default was returned",
            path.display(),
            hook.name()
        );
    }
    if let Some(f) = instance.unload() {
        eprintln!("oxbpf: {}: mbpf_fini: {f}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The trust policy from `--trust` key files and `--allow-unsigned`.
pub fn policy(trust: &[PathBuf], allow_unsigned: bool) -> Result<LoadPolicy, String> {
    let trusted = trust
        .iter()
        .map(|k| {
            sign::read_public_key(&input::read(k)?).map_err(|e| format!("{}: {e}", k.display()))
        })
        .collect::<Result<_, String>>()?;
    Ok(LoadPolicy {
        trusted,
        allow_unsigned,
    })
}

/// The manifest as JSON, with the reference's key names.
pub fn manifest_json(m: &manifest::Manifest) -> serde_json::Value {
    let maps: Vec<_> = m
        .maps
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "type": d.kind as u32,
                "type_name": d.kind.name(),
                "key_size": d.key_size,
                "value_size": d.value_size,
                "max_entries": d.max_entries,
                "flags": d.flags,
            })
        })
        .collect();
    let mut budgets = json!({
        "max_steps": m.budgets.max_steps,
        "max_helpers": m.budgets.max_helpers,
    });
    if let Some(t) = m.budgets.max_wall_time_us {
        budgets["max_wall_time_us"] = json!(t);
    }
    let helpers: serde_json::Map<String, serde_json::Value> = m
        .helper_versions
        .iter()
        .map(|(n, v)| (n.clone(), json!(v)))
        .collect();
    json!({
        "program_name": m.name,
        "program_version": m.version,
        "hook_type": m.hook as u32,
        "hook_name": m.hook.name(),
        "hook_ctx_abi_version": m.hook_ctx_abi_version,
        "entry_symbol": m.entry,
        "mquickjs_bytecode_version": m.bytecode_version,
        "target": {
            "word_size": m.word_size,
            "endianness": if m.little_endian { "little" } else { "big" },
        },
        "mbpf_api_version": m.api_version,
        "heap_size": m.heap_size,
        "budgets": budgets,
        "capabilities": m.capability_names(),
        "maps": maps,
        "helper_versions": helpers,
    })
}
