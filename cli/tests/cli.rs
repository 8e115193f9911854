//! The `oxbpf` command line: outputs, and one-line errors with a non-zero exit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn oxbpf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oxbpf"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("running oxbpf")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oxbpf-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An error is exactly one line on stderr, with a non-zero exit.
fn assert_one_line_error(o: &Output, contains: &str) {
    assert!(!o.status.success(), "expected failure: {}", stdout(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
    assert!(
        err.contains(contains),
        "{err:?} does not mention {contains:?}"
    );
}

#[test]
fn runs_the_bundled_examples() {
    // 25 primes below 100.
    let o = oxbpf(&["run", "examples/primes.s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "0x19\n");
    let o = oxbpf(&["run", "examples/sum_bytes.s", "--mem-hex", "01 02 03 04"]);
    assert_eq!(stdout(&o), "0xa\n");
    let o = oxbpf(&[
        "run",
        "examples/sum_bytes.s",
        "--backend",
        "interp",
        "--mem-hex",
        "ff ff",
    ]);
    assert_eq!(stdout(&o), "0x1fe\n");
    let dir = scratch("mem");
    let mem = dir.join("mem.bin");
    std::fs::write(&mem, [10u8, 20, 30]).unwrap();
    let o = oxbpf(&[
        "run",
        "examples/sum_bytes.s",
        "--mem",
        mem.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&o), "0x3c\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn asm_then_disasm_then_asm_is_stable() {
    let dir = scratch("asm");
    let bin = dir.join("primes.bin");
    let o = oxbpf(&["asm", "examples/primes.s", "-o", bin.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&bin).unwrap();
    assert_eq!(bytes.len(), 15 * 8);
    let o = oxbpf(&["disasm", bin.to_str().unwrap()]);
    let listing = stdout(&o);
    assert!(listing.starts_with("mov %r0, 0\nmov %r1, 2\n"), "{listing}");
    let s = dir.join("again.s");
    std::fs::write(&s, &listing).unwrap();
    let bin2 = dir.join("again.bin");
    assert!(
        oxbpf(&["asm", s.to_str().unwrap(), "-o", bin2.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(std::fs::read(&bin2).unwrap(), bytes);
    // The bytecode runs like the source.
    assert_eq!(stdout(&oxbpf(&["run", bin.to_str().unwrap()])), "0x19\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_are_one_line() {
    assert_one_line_error(&oxbpf(&["run", "no/such/file.s"]), "no/such/file.s");
    assert_one_line_error(
        &oxbpf(&["run", "examples/primes.s", "--backend", "nope"]),
        "unknown backend `nope`",
    );
    assert_one_line_error(
        &oxbpf(&["run", "examples/sum_bytes.s", "--mem-hex", "0g"]),
        "--mem-hex",
    );
    assert_one_line_error(
        &oxbpf(&["run", "examples/primes.s", "--budget", "10"]),
        "instruction budget exhausted",
    );
    assert_one_line_error(&oxbpf(&["frobnicate"]), "frobnicate");
    assert_one_line_error(&oxbpf(&["run"]), "PROGRAM");
    let dir = scratch("err");
    let bad = dir.join("bad.s");
    std::fs::write(&bad, "mov %r0, 1\nldxq %r0, %r1\nexit\n").unwrap();
    assert_one_line_error(
        &oxbpf(&["run", bad.to_str().unwrap()]),
        "line 2: Invalid mnemonic: ldxq",
    );
    let oob = dir.join("oob.s");
    std::fs::write(&oob, "ldxw %r0, [%r1+2]\nexit\n").unwrap();
    assert_one_line_error(
        &oxbpf(&["run", oob.to_str().unwrap(), "--mem-hex", "00 01 02 03"]),
        "trap at insn 0: out-of-bounds read of 4 bytes",
    );
    let raw = dir.join("bad.bin");
    std::fs::write(
        &raw,
        [0x95u8, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0],
    )
    .unwrap();
    assert_one_line_error(
        &oxbpf(&["run", raw.to_str().unwrap()]),
        "insn 1: unknown opcode 0xff",
    );
    assert_one_line_error(&oxbpf(&["disasm", raw.to_str().unwrap()]), "insn 1");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn conformance_command_runs_the_suite() {
    let dir = oxbpf_conformance::data_dir();
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "conformance data missing"
        );
        eprintln!("skipping: no conformance data at {}", dir.display());
        return;
    }
    let o = oxbpf(&["conformance", dir.to_str().unwrap(), "--backend", "all"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert_eq!(stdout(&o).lines().last(), Some("939 passed, 0 failed"));
    // The negative directory reports its deliberate failures, one line each, then the totals.
    let o = oxbpf(&["conformance", dir.join("negative").to_str().unwrap()]);
    assert!(!o.status.success());
    let out = stdout(&o);
    let high_bits = "FAIL interp/incorrect_return_value_high_bits.data: result: \
                     r0 = 0x8877665544332211, expected 0x8977665544332211";
    assert!(out.contains(high_bits), "{out}");
    assert_eq!(out.lines().last(), Some("48 passed, 9 failed, 3 skipped"));
}

#[test]
fn elf_objects_from_asm_run_on_every_backend() {
    let dir = scratch("elf");
    let src = dir.join("p.s");
    std::fs::write(
        &src,
        "mov %r0, 5\ncall local f\nadd %r0, 1\nexit\nf:\nmov %r0, 9\nexit\n",
    )
    .unwrap();
    let obj = dir.join("p.o");
    let o = oxbpf(&[
        "asm",
        "--elf",
        src.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(&obj).unwrap().starts_with(b"\x7fELF"));
    for backend in ["interp", "jit", "aot"] {
        let o = oxbpf(&["run", obj.to_str().unwrap(), "--backend", backend]);
        assert_eq!(stdout(&o), "0xa\n", "{backend}: {}", stderr(&o));
    }
    let o = oxbpf(&["disasm", obj.to_str().unwrap()]);
    assert!(
        stdout(&o).starts_with("mov %r0, 5\ncall local +2\n"),
        "{}",
        stdout(&o)
    );
    // Not an object.
    let bad = dir.join("bad.o");
    std::fs::write(&bad, b"not elf").unwrap();
    assert_one_line_error(&oxbpf(&["run", bad.to_str().unwrap()]), "ELF");
}

#[test]
fn aot_object_written_by_one_process_runs_in_another() {
    let dir = scratch("aot");
    let obj = dir.join("primes.o");
    let o = oxbpf(&["aot", "examples/primes.s", "-o", obj.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // primes.s counts the primes below 100: 25.
    let o = oxbpf(&["run", obj.to_str().unwrap()]);
    assert_eq!(stdout(&o), "0x19\n", "{}", stderr(&o));
    let o = oxbpf(&["run", "--mem-hex", "01 02", obj.to_str().unwrap()]);
    assert_eq!(stdout(&o), "0x19\n", "{}", stderr(&o));
}

#[test]
fn aot_objects_for_another_machine_or_version_are_refused() {
    let dir = scratch("aot-refuse");
    let arm = dir.join("arm.o");
    let o = oxbpf(&[
        "aot",
        "examples/primes.s",
        "-o",
        arm.to_str().unwrap(),
        "--target",
        "aarch64",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&arm).unwrap();
    // ELF header: e_machine at offset 18 is EM_AARCH64 (183).
    assert_eq!(u16::from_le_bytes([bytes[18], bytes[19]]), 183);
    if cfg!(target_arch = "x86_64") {
        let o = oxbpf(&["run", arm.to_str().unwrap()]);
        assert_one_line_error(&o, "object compiled for aarch64; this machine is x86_64");
    }

    let host = dir.join("host.o");
    assert!(
        oxbpf(&["aot", "examples/primes.s", "-o", host.to_str().unwrap()])
            .status
            .success()
    );
    let mut bytes = std::fs::read(&host).unwrap();
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    let mut field = (version.len() as u32).to_le_bytes().to_vec();
    field.extend_from_slice(version);
    let at = bytes
        .windows(field.len())
        .position(|w| w == field.as_slice())
        .expect("the version field of the header");
    let fake = "9".repeat(version.len());
    bytes[at + 4..at + field.len()].copy_from_slice(fake.as_bytes());
    let old = dir.join("old.o");
    std::fs::write(&old, &bytes).unwrap();
    let o = oxbpf(&["run", old.to_str().unwrap()]);
    assert_one_line_error(&o, &format!("object compiled by oxbpf {fake}"));

    let o = oxbpf(&["aot", "examples/primes.s", "-o", "x.o", "--target", "mips"]);
    assert_one_line_error(&o, "unknown target `mips`");
}

#[test]
fn elf_objects_run_with_their_maps_and_dump_them() {
    let obj = root().join("tests/fixtures/elf/maps-clang19-v4.o");
    let obj = obj.to_str().unwrap();
    for backend in ["interp", "jit", "aot"] {
        // count_packets: length 60 → r0 = 60 * 3; the maps show one packet of length 60. Its
        // program reads its `xdp` section's context as raw memory: `--type raw`.
        let o = oxbpf(&[
            "run",
            obj,
            "--type",
            "raw",
            "--backend",
            backend,
            "--mem-hex",
            "3c 00 00 00 07 00 00 00",
            "--dump-maps",
        ]);
        assert!(o.status.success(), "{backend}: {}", stderr(&o));
        let out = stdout(&o);
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some("0xb4"), "{backend}");
        let json = lines.collect::<Vec<_>>().join("\n");
        assert!(
            json.contains(r#"{"name": "counts", "type": "hash", "key_size": 4, "value_size": 8, "max_entries": 64, "flags": 0, "entries": [{"key": "3c000000", "value": "0100000000000000"}]}"#),
            "{backend}: {json}"
        );
        assert!(
            json.contains(r#"{"key": "", "value": "3c00000007000000"}"#),
            "{json}"
        );
        // .data `calls` went from 100 to 101.
        assert!(json.contains(r#""value": "6500000000000000""#), "{json}");
        let o = oxbpf(&[
            "run",
            obj,
            "--type",
            "raw",
            "--backend",
            backend,
            "--program",
            "loop_sum",
            "--mem-hex",
            "0a 00 00 00",
        ]);
        assert_eq!(stdout(&o).trim(), "0x2d", "{backend}: {}", stderr(&o));
    }
    assert_one_line_error(
        &oxbpf(&["run", obj, "--program", "nope"]),
        "no program named `nope`",
    );
}

#[test]
fn inspect_lists_programs_maps_and_relocations() {
    let obj = root().join("tests/fixtures/elf/legacy-clang19-v3.o");
    let o = oxbpf(&["inspect", obj.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("legacy                   section socket/legacy"),
        "{out}"
    );
    assert!(
        out.contains(
            "seen                     hash          key   4  value     8  max_entries       2"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "lifo                     stack         key   0  value     8  max_entries       4"
        ),
        "{out}"
    );
    assert!(out.contains("R_BPF_64_64       seen (maps)"), "{out}");
}

#[test]
fn aot_refuses_objects_that_use_maps() {
    let obj = root().join("tests/fixtures/elf/maps-clang19-v4.o");
    let out = scratch("aot-maps").join("maps.aot");
    assert_one_line_error(
        &oxbpf(&["aot", obj.to_str().unwrap(), "-o", out.to_str().unwrap()]),
        "`count_packets` uses maps or global data",
    );
    assert!(!out.exists());
}

#[test]
fn verify_accepts_or_names_the_instruction() {
    let dir = scratch("verify");
    let good = dir.join("good.s");
    std::fs::write(&good, "mov %r0, 0\njlt %r2, 4, +1\nldxw %r0, [%r1]\nexit\n").unwrap();
    let o = oxbpf(&["verify", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("accepted"), "{}", stdout(&o));
    let bad = dir.join("bad.s");
    std::fs::write(
        &bad,
        "mov %r1, 1\nstxdw [%r10-8], %r1\nldxdw %r0, [%r10-16]\nexit\n",
    )
    .unwrap();
    let o = oxbpf(&["verify", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o).trim(),
        "insn 2: reads fp0-16, a stack byte not written on this path"
    );
    // --log: the state before each instruction, then the verdict.
    let o = oxbpf(&["verify", bad.to_str().unwrap(), "--log"]);
    let lines: Vec<_> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[2].starts_with("2: ldxdw") && lines[2].contains("fp-8=1"),
        "{lines:?}"
    );
    // An ELF object's program, with its maps.
    let obj = root().join("tests/fixtures/elf/maps-clang19-v4.o");
    let o = oxbpf(&[
        "verify",
        obj.to_str().unwrap(),
        "--type",
        "raw",
        "--program",
        "count_packets",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn loop_policy_and_verification_can_be_chosen() {
    // sum_bytes loops up to the memory's length, unknown before the run: walking the loop to
    // its end (verify's default) cannot finish; widening it (`--termination budget`, run's
    // default) proves it safe and leaves its end to the instruction budget.
    let o = oxbpf(&["verify", "examples/sum_bytes.s"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("too complex"), "{}", stdout(&o));
    let o = oxbpf(&["verify", "examples/sum_bytes.s", "--termination", "budget"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).starts_with("accepted"), "{}", stdout(&o));
    let o = oxbpf(&[
        "run",
        "examples/sum_bytes.s",
        "--termination",
        "proven",
        "--mem-hex",
        "01 02",
    ]);
    assert_one_line_error(&o, "too complex");
    let o = oxbpf(&["run", "examples/sum_bytes.s", "--mem-hex", "01 02"]);
    assert_eq!(stdout(&o), "0x3\n", "{}", stderr(&o));
    let o = oxbpf(&["run", "examples/sum_bytes.s", "--termination", "widen"]);
    assert_one_line_error(&o, "widen");

    // A read of a stack byte never written is refused at load unless verification is off; the
    // interpreter then runs it (the stack starts zeroed).
    let dir = scratch("no-verify");
    let unwritten = dir.join("unwritten.s");
    std::fs::write(&unwritten, "ldxdw %r0, [%r10-8]\nexit\n").unwrap();
    let o = oxbpf(&["run", unwritten.to_str().unwrap()]);
    assert_one_line_error(
        &o,
        "insn 0: reads fp0-8, a stack byte not written on this path",
    );
    let o = oxbpf(&["run", unwritten.to_str().unwrap(), "--no-verify"]);
    assert_eq!(stdout(&o), "0x0\n", "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// An unsigned bundle written with the library: a NET_RX manifest and JavaScript source.
fn unsigned_bundle(dir: &Path) -> PathBuf {
    use oxbpf::mbpf::{container, manifest};
    let m = manifest::Manifest::new("drop_ff", "1.0", manifest::Hook::NetRx);
    let js = b"function mbpf_prog(ctx) { return ctx.readU8(0) === 0xff ? 1 : 0; }";
    let b = container::write(
        &[
            (container::section::MANIFEST, &manifest::encode(&m)),
            (container::section::JS_SOURCE, js),
        ],
        0,
        true,
    )
    .unwrap();
    let path = dir.join("app.mbpf");
    std::fs::write(&path, b).unwrap();
    path
}

#[test]
fn bundles_are_signed_verified_and_inspected() {
    let dir = scratch("mbpf");
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let sign = |k: &Path, i: &Path, o: &Path| {
        oxbpf(&["mbpf", "sign", "-k", &s(k), "-i", &s(i), "-o", &s(o)])
    };
    let verify = |k: &Path, i: &Path| oxbpf(&["mbpf", "verify", "-k", &s(k), "-i", &s(i)]);
    let key = dir.join("key");
    let other = dir.join("other");
    assert!(oxbpf(&["mbpf", "keygen", "-o", &s(&key)]).status.success());
    assert!(
        oxbpf(&["mbpf", "keygen", "-o", &s(&other)])
            .status
            .success()
    );
    assert_eq!(std::fs::read(&key).unwrap().len(), 64);
    let public = dir.join("key.pub");
    assert_eq!(std::fs::read(&public).unwrap().len(), 32);

    let app = unsigned_bundle(&dir);
    let signed = dir.join("signed.mbpf");
    let o = sign(&key, &app, &signed);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = verify(&public, &signed);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("signature verified"));
    // The keypair file verifies too; another key does not; an unsigned bundle does not.
    assert!(verify(&key, &signed).status.success());
    let o = verify(&dir.join("other.pub"), &signed);
    assert_eq!(o.status.code(), Some(1));
    assert_one_line_error(&o, "does not verify");
    assert_one_line_error(&verify(&public, &app), "not signed");
    // Signing twice is refused; a flipped byte is caught by the CRC.
    assert_one_line_error(&sign(&key, &signed, &dir.join("x")), "already signed");
    let mut bytes = std::fs::read(&signed).unwrap();
    let in_source = bytes.len() - 64 - 5;
    bytes[in_source] ^= 0x04;
    let flipped = dir.join("flipped.mbpf");
    std::fs::write(&flipped, &bytes).unwrap();
    assert_one_line_error(&verify(&public, &flipped), "CRC-32");
    // A key file of the wrong size.
    assert_one_line_error(&sign(&app, &app, &dir.join("y")), "64 bytes");

    let o = oxbpf(&["mbpf", "inspect", &s(&signed)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["manifest"]["program_name"], "drop_ff");
    assert_eq!(v["manifest"]["hook_name"], "net_rx");
    assert_eq!(v["manifest"]["heap_size"], 8192);
    assert_eq!(v["header"]["signed"], true);
    assert_eq!(v["crc"], "ok");
    let names: Vec<_> = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["MANIFEST", "JS_SOURCE", "SIG"]);
    let o = oxbpf(&["mbpf", "inspect", "README.md"]);
    assert_one_line_error(&o, "not an .mbpf bundle");
}

/// `oxbpf mbpf build` of `examples/mbpf/NAME.js` into `dir`.
fn build_example(dir: &Path, js: &str, hook: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(format!("{js}.mbpf"));
    let src = format!("examples/mbpf/{js}.js");
    let mut args = vec![
        "mbpf",
        "build",
        &src,
        "--name",
        js,
        "--version",
        "1.0",
        "--hook",
        hook,
        "-o",
    ];
    let out_s = out.to_str().unwrap().to_owned();
    args.push(&out_s);
    args.extend_from_slice(extra);
    let o = oxbpf(&args);
    assert!(o.status.success(), "build {js}: {}", stderr(&o));
    out
}

/// A new signing key in `dir`: the keypair file and the public key file's path.
fn keygen(dir: &Path) -> (PathBuf, String) {
    let key = dir.join("key");
    let o = oxbpf(&["mbpf", "keygen", "-o", key.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let public = format!("{}.pub", key.display());
    (key, public)
}

/// Signs bundle `b` with `key` into `B.signed.mbpf`; its path.
fn sign_bundle(key: &Path, b: &Path) -> String {
    let signed = b.with_extension("signed.mbpf");
    let o = oxbpf(&[
        "mbpf",
        "sign",
        "-k",
        key.to_str().unwrap(),
        "-i",
        b.to_str().unwrap(),
        "-o",
        signed.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    signed.to_str().unwrap().to_owned()
}

#[test]
fn the_bundle_examples_build_sign_verify_and_run() {
    let dir = scratch("mbpf-examples");
    let (key, public) = keygen(&dir);
    let sign = |b: &Path| {
        let signed = sign_bundle(&key, b);
        let o = oxbpf(&["mbpf", "verify", "-k", &public, "-i", &signed]);
        assert!(o.status.success(), "{}", stderr(&o));
        signed
    };
    let run = |b: &str, args: &[&str]| {
        let mut all = vec!["run", b, "--trust", &public];
        all.extend_from_slice(args);
        let o = oxbpf(&all);
        assert!(o.status.success(), "{}", stderr(&o));
        (stdout(&o).trim().to_owned(), stderr(&o))
    };

    // NET_RX: drop (1) packets whose first byte is 0xFF.
    let drop = sign(&build_example(&dir, "net_rx_drop_ff", "net_rx", &[]));
    assert_eq!(run(&drop, &["--mem-hex", "ff 00 01"]).0, "0x1");
    assert_eq!(run(&drop, &["--mem-hex", "fe ff"]).0, "0x0");
    assert_eq!(run(&drop, &[]).0, "0x0");

    // `inspect` disassembles the QuickJS bytecode the lowering to eBPF starts from.
    let o = oxbpf(&["mbpf", "inspect", &drop]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let prog = v["bytecode"]["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "mbpf_prog")
        .unwrap();
    let code: Vec<&str> = prog["code"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(prog["arguments"], 1);
    assert!(code.contains(&"0001 get_field \"data_len\""), "{code:?}");
    assert!(
        code.iter().any(|c| c.ends_with("call_method 1")),
        "{code:?}"
    );

    // SECURITY: deny (1) action 3 for subject 1000 only.
    let deny = sign(&build_example(&dir, "security_deny", "security", &[]));
    assert_eq!(
        run(&deny, &["--ctx", "subject_id=1000", "--ctx", "action=3"]).0,
        "0x1"
    );
    assert_eq!(
        run(&deny, &["--ctx", "subject_id=1000", "--ctx", "action=2"]).0,
        "0x0"
    );
    assert_eq!(
        run(&deny, &["--ctx", "subject_id=1001", "--ctx", "action=3"]).0,
        "0x0"
    );
    let o = oxbpf(&["run", &deny, "--trust", &public, "--ctx", "pkt_len=3"]);
    assert_one_line_error(&o, "subject_id");

    // TRACEPOINT: logs through mbpf.log with CAP_LOG.
    let log = sign(&build_example(
        &dir,
        "tracepoint_log",
        "tracepoint",
        &["--caps", "CAP_LOG"],
    ));
    let (out, err) = run(
        &log,
        &["--mem-hex", "78 56 34 12 00", "--ctx", "tracepoint_id=7"],
    );
    assert_eq!(out, "0x0");
    assert_eq!(
        err.trim(),
        "[INFO] tracepoint 7: 5 bytes, first word 0x12345678"
    );
    // TIMER: counts in an array map; EVENTS: records in a ring map for the host.
    let caps = [
        "--caps",
        "CAP_MAP_READ,CAP_MAP_WRITE",
        "--map",
        "ticks:array:0:4:1",
    ];
    let ticks = sign(&build_example(&dir, "timer_count", "timer", &caps));
    let (out, _) = run(&ticks, &["--dump-maps"]);
    assert!(out.starts_with("0x0\n"), "{out}");
    assert!(
        out.contains(r#""key": "00000000", "value": "01000000""#),
        "{out}"
    );
    let caps = ["--caps", "CAP_MAP_WRITE", "--map", "events:ring:0:4:64"];
    let events = sign(&build_example(&dir, "net_rx_events", "net_rx", &caps));
    let (out, _) = run(&events, &["--mem-hex", "aa bb cc", "--dump-maps"]);
    assert!(out.contains(r#""value": "0300aabb""#), "{out}");
    // Without CAP_LOG, mbpf.log is absent: a TypeError, and the hook's default.
    let nolog = sign(&build_example(
        &dir,
        "tracepoint_log",
        "tracepoint",
        &["--max-steps", "50"],
    ));
    let (out, err) = run(&nolog, &["--mem-hex", "01 02 03 04"]);
    assert_eq!(out, "0x0");
    assert!(
        err.contains("TypeError") && err.contains("not a function") && err.contains("default"),
        "{err}"
    );
}

#[test]
fn hostile_bundles_get_their_error() {
    let dir = scratch("mbpf-hostile");
    let write_js = |name: &str, js: &str| {
        let p = dir.join(format!("{name}.js"));
        std::fs::write(&p, js).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let build = |js: &str, extra: &[&str]| {
        let out = format!("{js}.mbpf");
        let mut args = vec![
            "mbpf",
            "build",
            js,
            "--name",
            "h",
            "--version",
            "1",
            "--hook",
            "net_rx",
            "--source",
            "-o",
            &out,
        ];
        args.extend_from_slice(extra);
        let o = oxbpf(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        out
    };
    // An endless loop: stopped by the step budget, the time reported, PASS returned.
    let spin = build(
        &write_js("spin", "function mbpf_prog(ctx) { for (;;) {} }"),
        &["--max-steps", "30"],
    );
    let o = oxbpf(&["run", &spin, "--allow-unsigned"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim(), "0x0");
    let err = stderr(&o);
    assert!(
        err.contains("step budget exhausted after") && err.contains("s;"),
        "{err}"
    );
    // An allocation bomb: stopped by the heap limit.
    let bomb = build(
        &write_js(
            "bomb",
            "function mbpf_prog(ctx) { const a = []; for (;;) { a.push({ n: a.length }); } }",
        ),
        &["--heap", "65536", "--max-steps", "100000"],
    );
    let o = oxbpf(&["run", &bomb, "--allow-unsigned"]);
    assert!(stderr(&o).contains("out of memory"), "{}", stderr(&o));
    // A flipped byte, a truncated file, malformed CBOR.
    let good = std::fs::read(&spin).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 1;
    std::fs::write(dir.join("flipped.mbpf"), &flipped).unwrap();
    let o = oxbpf(&[
        "run",
        dir.join("flipped.mbpf").to_str().unwrap(),
        "--allow-unsigned",
    ]);
    assert_one_line_error(&o, "CRC-32");
    std::fs::write(dir.join("short.mbpf"), &good[..good.len() / 2]).unwrap();
    let o = oxbpf(&[
        "run",
        dir.join("short.mbpf").to_str().unwrap(),
        "--allow-unsigned",
    ]);
    assert_one_line_error(&o, "outside the");
    use oxbpf::mbpf::container;
    let bad_cbor = container::write(
        &[
            (
                container::section::MANIFEST,
                &[0xbf, 0x61, 0x61, 0x01, 0xff],
            ),
            (container::section::JS_SOURCE, b"x"),
        ],
        0,
        true,
    )
    .unwrap();
    std::fs::write(dir.join("cbor.mbpf"), bad_cbor).unwrap();
    let o = oxbpf(&[
        "run",
        dir.join("cbor.mbpf").to_str().unwrap(),
        "--allow-unsigned",
    ]);
    assert_one_line_error(&o, "indefinite-length");
    // Re-signed under another key: refused.
    let key = dir.join("key");
    let other = dir.join("other");
    oxbpf(&["mbpf", "keygen", "-o", key.to_str().unwrap()]);
    oxbpf(&["mbpf", "keygen", "-o", other.to_str().unwrap()]);
    let resigned = dir.join("resigned.mbpf");
    oxbpf(&[
        "mbpf",
        "sign",
        "-k",
        other.to_str().unwrap(),
        "-i",
        &spin,
        "-o",
        resigned.to_str().unwrap(),
    ]);
    let o = oxbpf(&[
        "run",
        resigned.to_str().unwrap(),
        "--trust",
        dir.join("key.pub").to_str().unwrap(),
    ]);
    assert_one_line_error(&o, "does not verify under any of the 1 trusted keys");
    // Unsigned without --allow-unsigned.
    let o = oxbpf(&["run", &spin]);
    assert_one_line_error(&o, "not signed");
    // Build errors: the file and line, a bad hook, an unknown capability.
    let build_with = |js: &str, hook: &str, caps: &str| {
        let args = [
            "mbpf",
            "build",
            js,
            "--name",
            "s",
            "--version",
            "1",
            "--hook",
            hook,
        ];
        oxbpf(&[&args[..], &["--caps", caps, "-o", "/dev/null"]].concat())
    };
    let syntax = write_js("syntax", "function mbpf_prog( {");
    assert_one_line_error(&build_with(&syntax, "net_rx", ""), "SyntaxError");
    let spin_js = spin.replace(".mbpf", "");
    assert_one_line_error(&build_with(&spin_js, "bogus", ""), "--hook bogus");
    assert_one_line_error(&build_with(&spin_js, "net_rx", "CAP_FLY"), "CAP_FLY");
}

#[test]
fn lowered_bundles_run_their_ebpf_and_inspect_shows_it_or_why_not() {
    let dir = scratch("mbpf-lowered");
    let (key, public) = keygen(&dir);
    let sign = |b: &Path| sign_bundle(&key, b);
    let drop = sign(&build_example(
        &dir,
        "net_rx_drop_ff",
        "net_rx",
        &["--lower"],
    ));
    for backend in [None, Some("interp"), Some("aot")] {
        let mut args = vec!["run", drop.as_str(), "--trust", &public];
        if let Some(b) = backend {
            args.extend(["--backend", b]);
        }
        let run = |hex: &str| {
            let mut a = args.clone();
            a.extend(["--mem-hex", hex]);
            let o = oxbpf(&a);
            assert!(o.status.success(), "{}", stderr(&o));
            stdout(&o).trim().to_owned()
        };
        assert_eq!(run("ff 00"), "0x1", "{backend:?}");
        assert_eq!(run("fe ff"), "0x0", "{backend:?}");
    }
    let o = oxbpf(&["mbpf", "inspect", &drop]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["lowering"], "lowers");
    let text: Vec<&str> = v["lowered_ebpf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(text.contains(&"ldxb %r0, [%r1+32]"), "{text:?}");
    assert_eq!(text.last(), Some(&"exit"));

    // `mbpf.log` lowers to trace_printk: the same line as on QuickJS, on standard error.
    let build = |js: &str, out: &Path, extra: &[&str]| {
        let mut a = vec![
            "mbpf",
            "build",
            js,
            "--name",
            "t",
            "--version",
            "1.0",
            "--lower",
        ];
        a.extend(extra);
        a.extend(["-o", out.to_str().unwrap()]);
        oxbpf(&a)
    };
    let log_out = dir.join("log.mbpf");
    let extra = ["--hook", "tracepoint", "--caps", "CAP_LOG"];
    let o = build("examples/mbpf/tracepoint_log.js", &log_out, &extra);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("not lowered"), "{}", stderr(&o));
    let log = sign(&log_out);
    let o = oxbpf(&["mbpf", "inspect", &log]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["lowering"], "lowers");
    let o = oxbpf(&["run", &log, "--trust", &public, "--mem-hex", "01 00 00 00"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "0x0");
    assert!(
        stderr(&o).contains("[INFO] tracepoint 0: 4 bytes, first word 0x1"),
        "{}",
        stderr(&o)
    );

    // Outside the subset (a division): built without the section, reported, and still run on
    // QuickJS.
    let js = dir.join("third.js");
    std::fs::write(
        &js,
        "function mbpf_prog(ctx) { return ctx.data_len / 3 > 1 ? 1 : 0; }\n",
    )
    .unwrap();
    let third_out = dir.join("third.mbpf");
    let o = build(js.to_str().unwrap(), &third_out, &["--hook", "net_rx"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not lowered, the bundle runs on QuickJS: mbpf_prog, ")
            && stderr(&o).contains(" div: opcode outside the lowered subset"),
        "{}",
        stderr(&o)
    );
    let third = sign(&third_out);
    let o = oxbpf(&["mbpf", "inspect", &third]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["lowered_ebpf"].is_null());
    assert!(
        v["lowering"]["not_lowered"]
            .as_str()
            .unwrap()
            .contains("opcode outside the lowered subset")
    );
    for (hex, rc) in [("01 00 00 00", "0x1"), ("01 00", "0x0")] {
        let o = oxbpf(&["run", &third, "--trust", &public, "--mem-hex", hex]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o).trim(), rc);
    }
}

#[test]
fn xdp_objects_run_over_a_packet_and_print_the_action() {
    let obj = root().join("tests/fixtures/progtypes/xdp_firewall.o");
    let obj = obj.to_str().unwrap();
    // An IPv4 UDP datagram to port 53: passed; to port 54: dropped; ARP: passed.
    let udp = |port: u8| {
        format!(
            "000000000001 000000000002 0800 45 00 0000 0000 0000 40 11 0000 c0a80001 0a000001 \
             0fa0 00{port:02x} 0000 0000"
        )
    };
    for backend in ["interp", "jit", "aot"] {
        for (packet, r0, action) in [
            (udp(53), "0x2", "XDP_PASS"),
            (udp(54), "0x1", "XDP_DROP"),
            (
                "ffffffffffff 000000000002 0806 0001".to_owned(),
                "0x2",
                "XDP_PASS",
            ),
        ] {
            let o = oxbpf(&["run", obj, "--backend", backend, "--mem-hex", &packet]);
            assert!(o.status.success(), "{backend}: {}", stderr(&o));
            assert_eq!(
                stdout(&o),
                format!("{r0}\n{action}\n"),
                "{backend}: {packet}"
            );
        }
    }
    // The same program forced over raw memory reads its context as bytes: refused.
    let o = oxbpf(&["verify", obj, "--type", "raw"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let o = oxbpf(&["verify", obj]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_one_line_error(
        &oxbpf(&["run", obj, "--type", "xdpp"]),
        "--type xdpp: no such program type",
    );
}
