//! The verifier's cases as data: every `cases/*.s` file is an assembly program with its
//! expectation in `#` lines at the top:
//!
//! - `# accept` or `# reject: TEXT` (the error must contain TEXT, `insn N: reason`);
//! - `# context: raw` (the default), `# context: fixed N`, or
//!   `# context: packet N data D end E width W` (a fixed N-byte read-only context with packet
//!   fields; `packet-writable` for a writable one);
//! - `# map: NAME TYPE KEY VALUE [readonly] [lock=OFF]` declares map number 0, 1, ... (TYPE a
//!   Linux map type id; `lock=OFF`: its values hold a `bpf_spin_lock` at byte OFF), which
//!   `lddw %rX, map_fd I` loads and `lddw %rX, map_value I OFF` addresses;
//! - `# leaks` allows pointer leaks; `# unknown-helpers: assume-worst` lets calls without a
//!   prototype (helper 1001, `host_raw`) through; `# steps: N` sets the processed-instruction
//!   budget;
//! - `# termination: budget` widens loops (`Termination::Budget`); `# bounded: PC ...` lists
//!   loop heads bounded by construction (`Env::bounded_loops`);
//! - `# proven: PC PC ...` lists instructions that must be proven in bounds, and
//!   `# checked: PC ...` ones that must keep their run-time check.
//!
//! Accepted raw-context programs also run on the interpreter over a 64-byte context without an
//! out-of-bounds trap.

use libtest_mimic::{Arguments, Failed, Trial};
use oxbpf_core::isa::{Imm64Kind, Insn};
use oxbpf_core::program_type::ProgramType;
use oxbpf_core::{Arg, Backend, Config, HelperContext, HelperRegistry, Program, Proto, TrapKind};
use oxbpf_helpers::map::BPF_F_RDONLY_PROG;
use oxbpf_helpers::{HostEnv, MapDef, MapSet, MapType};
use oxbpf_verifier::{
    ContextSize, ContextSpec, Env, MapLoad, PacketFields, Termination, UnknownHelpers, verify,
};
use std::path::Path;
use std::sync::Arc;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "s"))
        .collect();
    files.sort();
    let trials = files
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            Trial::test(name, move || run_case(&path))
        })
        .collect();
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}

struct Case {
    expect: Result<(), String>,
    context: ContextSpec,
    maps: Vec<MapDef>,
    leaks: bool,
    assume_worst: bool,
    steps: Option<u64>,
    budget: bool,
    bounded: Vec<usize>,
    proven: Vec<usize>,
    checked: Vec<usize>,
}

fn parse_header(text: &str) -> Result<Case, String> {
    let mut case = Case {
        expect: Err("no `# accept` or `# reject:` line".into()),
        context: ContextSpec::raw_memory(),
        maps: Vec::new(),
        leaks: false,
        assume_worst: false,
        steps: None,
        budget: false,
        bounded: Vec::new(),
        proven: Vec::new(),
        checked: Vec::new(),
    };
    let mut expectation = false;
    let num = |s: &str| s.parse::<u64>().map_err(|e| format!("{s}: {e}"));
    for line in text.lines() {
        let Some(d) = line.strip_prefix('#') else {
            continue;
        };
        let d = d.trim();
        let (key, rest) = d.split_once(':').unwrap_or((d, ""));
        let words: Vec<&str> = rest.split_whitespace().collect();
        match key.trim() {
            "accept" => {
                case.expect = Ok(());
                expectation = true;
            }
            "reject" => {
                case.expect = Err(rest.trim().to_owned());
                expectation = true;
            }
            "context" => {
                case.context = match words.as_slice() {
                    ["raw"] => ContextSpec::raw_memory(),
                    ["fixed", n] => ContextSpec::fixed(num(n)? as u32),
                    ["type", t] => ContextSpec::of_type(
                        ProgramType::from_name(t).ok_or(format!("no program type {t}"))?,
                        None,
                    ),
                    [
                        kind @ ("packet" | "packet-writable"),
                        n,
                        "data",
                        d,
                        "end",
                        e,
                        "width",
                        w,
                    ] => ContextSpec {
                        size: ContextSize::Fixed(num(n)? as u32),
                        writable: (*kind == "packet").then(Vec::new),
                        packet: Some(PacketFields {
                            data: num(d)? as u32,
                            data_end: num(e)? as u32,
                            width: num(w)? as u32,
                        }),
                        layout: None,
                        program_type: None,
                    },
                    other => return Err(format!("bad context: {other:?}")),
                }
            }
            "map" => {
                let [name, ty, key, value, rest @ ..] = words.as_slice() else {
                    return Err(format!("bad map: {rest}"));
                };
                let ty = num(ty)? as u32;
                let ty = MapType::from_id(ty).ok_or(format!("no map type {ty}"))?;
                let flags = if rest.contains(&"readonly") {
                    BPF_F_RDONLY_PROG
                } else {
                    0
                };
                let mut def = MapDef::new(*name, ty, num(key)? as u32, num(value)? as u32, 1);
                def.spin_lock = match rest.iter().find_map(|w| w.strip_prefix("lock=")) {
                    Some(at) => Some(num(at)? as u32),
                    None => None,
                };
                case.maps.push(def.with_flags(flags));
            }
            "leaks" => case.leaks = true,
            "unknown-helpers" => case.assume_worst = words.first() == Some(&"assume-worst"),
            "steps" => case.steps = Some(num(words[0])?),
            "termination" => case.budget = words.first() == Some(&"budget"),
            "bounded" => {
                for w in words {
                    case.bounded.push(num(w)? as usize);
                }
            }
            "proven" => {
                for w in words {
                    case.proven.push(num(w)? as usize);
                }
            }
            "checked" => {
                for w in words {
                    case.checked.push(num(w)? as usize);
                }
            }
            _ => {}
        }
    }
    if !expectation {
        return Err("no `# accept` or `# reject:` line".into());
    }
    Ok(case)
}

fn run_case(path: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case = parse_header(&text)?;
    let mut insns = oxbpf_core::asm::assemble(&text).map_err(|e| format!("assembly: {e}"))?;
    // `lddw map_fd I` / `lddw map_value I OFF`: the loader's job, done here by hand.
    let mut map_loads = Vec::new();
    for (pc, insn) in insns.iter_mut().enumerate() {
        if let Insn::LoadImm64 { dst, kind, imm } = *insn {
            let value_offset = match kind {
                Imm64Kind::MapFd => None,
                Imm64Kind::MapValue => Some((imm >> 32) as u32),
                _ => continue,
            };
            map_loads.push(MapLoad {
                pc,
                map: imm as u32,
                value_offset,
            });
            *insn = Insn::LoadImm64 {
                dst,
                kind: Imm64Kind::Value,
                imm: 0x1000,
            };
        }
    }
    let mut helpers = HelperRegistry::new();
    oxbpf_helpers::standard::register(&mut helpers, &MapSet::new(), &HostEnv::default());
    helpers.register_with_proto(
        1000,
        "host_add",
        Some(Proto::numbers(2)),
        Arc::new(|_: &mut HelperContext<'_, '_>, [a, b, ..]: [u64; 5]| Ok(a.wrapping_add(b))),
    );
    helpers.register(1001, "host_raw", |_, _| Ok(0));
    // A Linux helper registered under its name without a prototype: Linux's stands in.
    helpers.register(44, "xdp_adjust_head", |_, _| Ok(0));
    helpers.register(54, "xdp_adjust_meta", |_, _| Ok(0));
    helpers.register(28, "csum_diff", |_, _| Ok(0));
    // A prototype whose first memory argument has no size: refused at each call.
    let copy = Proto::scalar([Arg::MemOut, Arg::Mem, Arg::Size, Arg::Unused, Arg::Unused]);
    helpers.register_with_proto(
        1002,
        "host_copy",
        Some(copy),
        Arc::new(|_: &mut HelperContext<'_, '_>, _: [u64; 5]| Ok(0)),
    );
    let program = Program::from_insns(insns, &Config::default(), &helpers)
        .map_err(|e| format!("load: {e}"))?;
    let mut env = Env::new(&helpers);
    env.settings.context = case.context.clone();
    env.maps = case.maps.clone();
    env.map_loads = map_loads.clone();
    env.settings.allow_pointer_leaks = case.leaks;
    if case.assume_worst {
        env.settings.unknown_helpers = UnknownHelpers::AssumeWorst;
    }
    if let Some(s) = case.steps {
        env.settings.max_steps = s;
    }
    if case.budget {
        env.settings.termination = Termination::Budget;
    }
    env.bounded_loops = case.bounded.clone();
    let result = verify(&program, &env);
    match (&case.expect, &result) {
        (Ok(()), Ok(v)) => {
            for &pc in &case.proven {
                if !v.proven().get(pc).copied().unwrap_or(false) {
                    return Err(format!("insn {pc} is not proven in bounds").into());
                }
            }
            for &pc in &case.checked {
                if v.proven().get(pc).copied().unwrap_or(false) {
                    return Err(format!("insn {pc} is proven, expected a run-time check").into());
                }
            }
        }
        (Err(want), Err(got)) => {
            if !got.to_string().contains(want.as_str()) {
                return Err(format!("rejected with `{got}`, expected `{want}`").into());
            }
            return Ok(());
        }
        (Ok(()), Err(e)) => return Err(format!("rejected: {e}").into()),
        (Err(want), Ok(_)) => return Err(format!("accepted, expected `{want}`").into()),
    }
    // An accepted program with a raw context and no maps runs without an out-of-bounds trap.
    if case.context.size == ContextSize::InR2 && map_loads.is_empty() {
        let exe = oxbpf_interp::Interpreter
            .prepare(Arc::new(program), Arc::new(helpers))
            .map_err(|e| e.to_string())?;
        let mut mem: Vec<u8> = (0..64u8).collect();
        if let Err(t) = exe.run(&mut mem)
            && matches!(t.kind, TrapKind::OutOfBounds { .. })
        {
            return Err(format!("accepted, but the interpreter trapped: {t}").into());
        }
    }
    Ok(())
}
