//! The upstream bpf_conformance suite on every backend: one trial per backend × file, named like
//! `interp/add.data` and `interp/negative/unused-call-dst.data`.
//!
//! Files in the suite's top directory must pass. Files in `negative/` must behave as recorded in
//! [`NEGATIVE`]; `unused-*` files must be rejected at load. Known failures are listed, each with
//! its reason, in [`EXPECTED_FAILURES`]; a listed case that starts passing fails its trial so that
//! the list stays true.

use libtest_mimic::{Arguments, Failed, Trial};
use oxbpf_conformance::data_dir;
use oxbpf_conformance::runner::{Outcome, Stage, data_files, run_file_via};
use std::path::Path;

/// What a `negative/` file must do.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Match the file's own `-- error` (the runner reports a pass).
    Pass,
    /// Be reported as a failure at this stage.
    FailAt(Stage),
    /// Hold nothing to run.
    Skip,
    /// Be rejected with a message containing this text (where the file's `-- error` is another
    /// VM's wording).
    Rejected(&'static str),
}

/// Expected behaviour of each runner case in `negative/` (the `unused-*` files are handled by
/// name: each must be rejected at load, which its empty `-- error` requires).
const NEGATIVE: &[(&str, Expect)] = &[
    ("empty.data", Expect::Skip),
    ("empty_instructions.data", Expect::Skip),
    ("invalid_unknown_directive.data", Expect::Skip),
    (
        "invalid_imm32_dec_range.data",
        Expect::FailAt(Stage::Assemble),
    ),
    (
        "invalid_imm32_hex_range.data",
        Expect::FailAt(Stage::Assemble),
    ),
    ("invalid_label.data", Expect::FailAt(Stage::Assemble)),
    ("invalid_mnemonic.data", Expect::FailAt(Stage::Assemble)),
    ("invalid_offset.data", Expect::FailAt(Stage::Assemble)),
    ("invalid_offset_range.data", Expect::FailAt(Stage::Assemble)),
    (
        "invalid_operand_count.data",
        Expect::FailAt(Stage::Assemble),
    ),
    // These three carry the assembler's exact message in `-- error`.
    ("invalid_lock.data", Expect::Pass),
    ("invalid_lock2.data", Expect::Pass),
    ("invalid_register.data", Expect::Pass),
    // A deliberately wrong `r0` that differs only in its high bits: reporting it proves the
    // harness compares all 64 bits.
    (
        "incorrect_return_value_high_bits.data",
        Expect::FailAt(Stage::Result),
    ),
    // Reading r0 before writing it (its `-- error` is another VM's one word, `Invalid`): the
    // verifier rejects it at load.
    (
        "error.data",
        Expect::Rejected("verifier: insn 0: r0 is read before it is written"),
    ),
];

/// Cases known to fail: `(backend or "*", file relative to the suite directory, why)`.
const EXPECTED_FAILURES: &[(&str, &str, &str)] = &[];

fn expected_failure(backend: &str, rel: &str) -> Option<&'static str> {
    EXPECTED_FAILURES
        .iter()
        .find(|(b, f, _)| (*b == "*" || *b == backend) && *f == rel)
        .map(|(_, _, why)| *why)
}

fn judge(rel: &str, outcome: &Outcome, expect: Expect) -> Result<(), String> {
    match (expect, outcome) {
        (Expect::Pass, Outcome::Pass) | (Expect::Skip, Outcome::Skip(_)) => Ok(()),
        (Expect::FailAt(s), Outcome::Fail { stage, .. }) if *stage == s => Ok(()),
        (Expect::Rejected(text), Outcome::Fail { message, .. }) if message.contains(text) => Ok(()),
        _ => Err(format!("{rel}: expected {expect:?}, got {outcome:?}")),
    }
}

/// A trial of `rel` on `backend`, through the ELF loader when `elf` is set (named
/// `elf-BACKEND/...`).
fn trial(backend: &'static str, elf: bool, dir: &Path, rel: String, expect: Expect) -> Trial {
    let path = dir.join(&rel);
    let name = if elf {
        format!("elf-{backend}/{rel}")
    } else {
        format!("{backend}/{rel}")
    };
    Trial::test(name, move || {
        let outcome = run_file_via(&path, backend, elf);
        let verdict = judge(&rel, &outcome, expect);
        match (expected_failure(backend, &rel), verdict) {
            (None, v) => v.map_err(Failed::from),
            (Some(_), Err(_)) => Ok(()),
            (Some(why), Ok(())) => Err(Failed::from(format!(
                "{rel} passes now; remove it from EXPECTED_FAILURES (listed because: {why})"
            ))),
        }
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned()
}

fn main() {
    let args = Arguments::from_args();
    let dir = data_dir();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let mut trials = Vec::new();
    if !dir.is_dir() {
        let msg = format!(
            "bpf_conformance data not found at {} (set {})",
            dir.display(),
            oxbpf_conformance::DATA_DIR_ENV
        );
        eprintln!("{msg}");
        let t = Trial::test("conformance-data", move || Err(Failed::from(msg)));
        trials.push(if ci { t } else { t.with_ignored_flag(true) });
        libtest_mimic::run(&args, trials).exit();
    }
    let top = data_files(&dir).expect("listing the conformance directory");
    let negative = data_files(&dir.join("negative")).unwrap_or_default();
    assert!(
        top.len() >= 300,
        "expected the full suite in {}, found {} files",
        dir.display(),
        top.len()
    );
    let routes = oxbpf::BACKENDS
        .iter()
        .flat_map(|&b| [(b, false), (b, true)]);
    for (backend, elf) in routes {
        for f in &top {
            let name = file_name(f);
            trials.push(trial(backend, elf, &dir, name, Expect::Pass));
        }
        for f in &negative {
            let name = file_name(f);
            let expect = if name.starts_with("unused-") {
                Some(Expect::Pass)
            } else {
                NEGATIVE.iter().find(|(n, _)| *n == name).map(|&(_, e)| e)
            };
            let rel = format!("negative/{name}");
            match expect {
                Some(e) => trials.push(trial(backend, elf, &dir, rel, e)),
                None if elf => {}
                None => trials.push(Trial::test(format!("{backend}/{rel}"), move || {
                    Err(Failed::from(format!(
                        "{rel}: no expectation recorded in NEGATIVE"
                    )))
                })),
            }
        }
    }
    for f in top.iter().chain(&negative) {
        let rel = f
            .strip_prefix(&dir)
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_else(|_| file_name(f));
        let path = f.clone();
        trials.push(Trial::test(format!("diff/{rel}"), move || {
            match oxbpf_conformance::runner::diff_file(&path) {
                Outcome::Fail { stage, message } => {
                    Err(Failed::from(format!("{stage}: {message}")))
                }
                Outcome::Pass | Outcome::Skip(_) => Ok(()),
            }
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}
