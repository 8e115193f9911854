//! Snapshots of the Cranelift IR the translator produces, kept as wasmtime keeps its
//! `tests/disas`: every `tests/disas/NAME.s` is a small program whose IR
//! ([`oxbpf_cranelift::clif`], for x86-64) must be exactly `tests/disas/NAME.clif`. Each shows
//! one decision of the translator (an access checked or not, checks merged, hoisted out of a
//! loop, a loop versioned in chunks), so a change to one shows up as a diff to review.
//!
//! A program opens with `;;` lines saying what it shows (at least one is required) and `;;!`
//! directives (the assembler takes both for comments):
//!
//! - `;;! verify: raw` or `;;! verify: fixed N`: verified, with a context of raw memory of `r2`
//!   bytes or of N bytes, and the proofs attached (`Program::with_proofs`); without it the
//!   program is not verified;
//! - `;;! termination: budget`: the verifier widens loops (`Termination::Budget`);
//! - `;;! bounds-check: off`, `;;! count: off`, `;;! budget: N`: the program's `Config`
//!   (`bounds_check`, `count_instructions`, `instruction_budget`; the defaults otherwise).
//!
//! Programs may call helper 1 (`add`: two numbers) and helper 2 (`sum`: memory and its size).
//!
//! `OXBPF_BLESS=1 cargo test -p oxbpf-cranelift --test disas` writes the `.clif` files instead
//! of comparing them: review their diff before committing it.

use libtest_mimic::{Arguments, Failed, Trial};
use oxbpf_core::{Arg, Config, HelperContext, HelperRegistry, Program, Proto};
use oxbpf_cranelift::{Target, clif};
use oxbpf_verifier::{ContextSpec, Env, Termination, verify};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/disas");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/disas")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut trials: Vec<Trial> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "s"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let path = path.clone();
            Trial::test(name, move || run_case(&path))
        })
        .collect();
    trials.push(Trial::test("every snapshot has its program", move || {
        orphans(&files)
    }));
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}

/// Whether the run writes the expected files instead of comparing them.
fn bless() -> bool {
    std::env::var("OXBPF_BLESS").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A `.clif` file without its `.s` is a snapshot left behind by a renamed or removed case.
fn orphans(files: &[PathBuf]) -> Result<(), Failed> {
    let left: Vec<String> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "clif"))
        .filter(|p| !p.with_extension("s").exists())
        .map(|p| p.display().to_string())
        .collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("snapshots without a program: {}", left.join(", ")).into())
    }
}

/// What a program file asks for.
struct Case {
    /// The context to verify against, if the program is verified.
    verify: Option<ContextSpec>,
    budget_termination: bool,
    config: Config,
}

fn parse_header(text: &str) -> Result<Case, String> {
    let mut case = Case {
        verify: None,
        budget_termination: false,
        config: Config::default(),
    };
    let mut described = false;
    let num = |s: &str| s.trim().parse::<u64>().map_err(|e| format!("`{s}`: {e}"));
    let on_off = |s: &str| match s.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("`{other}`: expected on or off")),
    };
    for line in text.lines() {
        if let Some(d) = line.strip_prefix(";;!") {
            let (key, value) = d
                .split_once(':')
                .ok_or_else(|| format!("directive without a value: `{line}`"))?;
            match key.trim() {
                "verify" => {
                    let words: Vec<&str> = value.split_whitespace().collect();
                    case.verify = Some(match words.as_slice() {
                        ["raw"] => ContextSpec::raw_memory(),
                        ["fixed", n] => ContextSpec::fixed(num(n)? as u32),
                        _ => return Err(format!("bad context: `{value}`")),
                    });
                }
                "termination" => case.budget_termination = value.trim() == "budget",
                "bounds-check" => case.config.bounds_check = on_off(value)?,
                "count" => case.config.count_instructions = on_off(value)?,
                "budget" => case.config.instruction_budget = Some(num(value)?),
                other => return Err(format!("unknown directive `{other}`")),
            }
        } else if line.starts_with(";;") {
            described |= !line.trim_start_matches(';').trim().is_empty();
        }
    }
    if !described {
        return Err("no `;;` line says what the program shows".into());
    }
    Ok(case)
}

/// The helpers programs may call, with the prototypes the verifier checks.
fn helpers() -> HelperRegistry {
    let mut helpers = HelperRegistry::new();
    helpers.register_with_proto(
        1,
        "add",
        Some(Proto::numbers(2)),
        Arc::new(|_: &mut HelperContext<'_, '_>, [a, b, ..]: [u64; 5]| Ok(a.wrapping_add(b))),
    );
    let mem = Proto::scalar([Arg::Mem, Arg::Size, Arg::Unused, Arg::Unused, Arg::Unused]);
    helpers.register_with_proto(
        2,
        "sum",
        Some(mem),
        Arc::new(|_: &mut HelperContext<'_, '_>, _: [u64; 5]| Ok(0)),
    );
    helpers
}

fn run_case(path: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case = parse_header(&text)?;
    let helpers = helpers();
    let mut program =
        Program::from_asm(&text, &case.config, &helpers).map_err(|e| format!("load: {e}"))?;
    if let Some(context) = case.verify {
        let mut env = Env::new(&helpers);
        env.settings.context = context;
        if case.budget_termination {
            env.settings.termination = Termination::Budget;
        }
        let verified = verify(&program, &env).map_err(|e| format!("verify: {e}"))?;
        program = program.with_proofs(verified.proofs().clone());
    }
    let actual = clif(&program, Target::X86_64).map_err(|e| e.to_string())?;
    // The same program must give the same text: no hash order, no address in it.
    if clif(&program, Target::X86_64).map_err(|e| e.to_string())? != actual {
        return Err("the IR differs between two translations of the same program".into());
    }
    let expected_path = path.with_extension("clif");
    if bless() {
        if std::fs::read_to_string(&expected_path).ok().as_deref() != Some(actual.as_str()) {
            std::fs::write(&expected_path, &actual).map_err(|e| e.to_string())?;
        }
        return Ok(());
    }
    let expected = std::fs::read_to_string(&expected_path).map_err(|e| {
        format!(
            "{}: {e} (run with OXBPF_BLESS=1 to write it)",
            expected_path.display()
        )
    })?;
    if expected == actual {
        return Ok(());
    }
    Err(format!(
        "the IR differs from {} (OXBPF_BLESS=1 rewrites it):\n{}",
        expected_path.display(),
        diff(&expected, &actual)
    )
    .into())
}

/// Lines of context around each change in [`diff`].
const CONTEXT: usize = 3;

/// A unified-style line diff of `expected` against `actual` (from their longest common
/// subsequence of lines), with [`CONTEXT`] lines around each change.
fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    // The edit script: (tag, line in `expected`, line in `actual`, text).
    let mut ops: Vec<(char, usize, usize, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', i, j, a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', i, j, a[i]));
            i += 1;
        } else {
            ops.push(('+', i, j, b[j]));
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    let shown = |k: usize| {
        changed
            .iter()
            .any(|&c| c.saturating_sub(CONTEXT) <= k && k <= c + CONTEXT)
    };
    let mut out = String::from("--- expected\n+++ actual\n");
    let mut in_hunk = false;
    for (k, &(tag, i, j, line)) in ops.iter().enumerate() {
        if !shown(k) {
            in_hunk = false;
            continue;
        }
        if !in_hunk {
            out.push_str(&format!("@@ -{} +{} @@\n", i + 1, j + 1));
            in_hunk = true;
        }
        out.push_str(&format!("{tag}{line}\n"));
    }
    if changed.is_empty() {
        out.push_str("(the same lines; the files differ in line endings or the last newline)\n");
    }
    out
}
