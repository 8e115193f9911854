//! The C tests: every `tests/c/*.c` is compiled against `include/ebpf-vm.h` with the machine's C
//! compiler (`-Wall -Wextra -Werror`), linked with the shared library this build produced, and
//! run; it passes when it exits with status 0. The example host is also linked statically. With `OXBPF_VALGRIND=1` each also runs under
//! valgrind, which must report no error and no leak.

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::process::Command;

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// The directory holding `liboxbpf_capi.so`: next to this test binary.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .expect("the test binary's directory")
        .to_owned()
}

/// How a test links the library.
#[derive(Clone, Copy)]
enum Link {
    /// `-loxbpf_capi`, found through an rpath.
    Shared,
    /// `liboxbpf_capi.a` and the system libraries Rust's standard library needs.
    Static,
}

/// Compiles `source` into `out`, linked with the library as `link` says.
fn compile(source: &Path, out: &Path, link: Link) -> Result<(), Failed> {
    let target = env!("OXBPF_CAPI_TARGET");
    let compiler = cc::Build::new()
        .target(target)
        .host(target)
        .opt_level(1)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .try_get_compiler()
        .map_err(|e| format!("no C compiler: {e}"))?;
    let lib = library_dir();
    for file in ["liboxbpf_capi.so", "liboxbpf_capi.a"] {
        if !lib.join(file).exists() {
            return Err(format!("{} has no {file}", lib.display()).into());
        }
    }
    let fixtures = Path::new(MANIFEST).join("../tests/fixtures/elf");
    let mut command = compiler.to_command();
    command
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g"])
        .arg(format!("-I{MANIFEST}/include"))
        .arg(format!("-DOXBPF_FIXTURES=\"{}\"", fixtures.display()))
        .arg(source)
        .arg("-o")
        .arg(out);
    match link {
        Link::Shared => command
            .arg(format!("-L{}", lib.display()))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-loxbpf_capi"),
        Link::Static => command
            .arg(lib.join("liboxbpf_capi.a"))
            .args(["-lpthread", "-ldl", "-lm"]),
    };
    let output = command
        .output()
        .map_err(|e| format!("running the C compiler: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{} does not compile:\n{}",
            source.display(),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

/// Runs `command`; fails unless it exits with 0. Returns its standard output.
fn run(mut command: Command, what: &str) -> Result<String, Failed> {
    let output = command
        .output()
        .map_err(|e| format!("running {what}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{what} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Compiles and runs `source` (under valgrind too when asked); with `expect`, its output must
/// be exactly that.
fn c_test(source: &Path, expect: Option<&str>, link: Link) -> Result<(), Failed> {
    let stem = source
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("test");
    let name = match link {
        Link::Shared => stem.to_owned(),
        Link::Static => format!("{stem}-static"),
    };
    let name = name.as_str();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("capi-{name}"));
    compile(source, &out, link)?;
    let stdout = run(Command::new(&out), name)?;
    if let Some(expect) = expect
        && stdout != expect
    {
        return Err(format!("{name} printed {stdout:?}, expected {expect:?}").into());
    }
    if std::env::var_os("OXBPF_VALGRIND").is_some_and(|v| v != "0") {
        let mut vg = Command::new("valgrind");
        vg.args([
            "--error-exitcode=99",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--quiet",
        ])
        .arg(&out);
        run(vg, &format!("{name} under valgrind"))?;
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let dir = Path::new(MANIFEST).join("tests/c");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/c")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    let mut trials: Vec<Trial> = sources
        .into_iter()
        .map(|s| {
            let name = s
                .file_stem()
                .and_then(|n| n.to_str())
                .unwrap_or("?")
                .to_owned();
            Trial::test(name, move || c_test(&s, None, Link::Shared))
        })
        .collect();
    // The README's C example, with the output it promises, linked both ways.
    let example = Path::new(MANIFEST).join("../examples/c/hello.c");
    for (name, link) in [
        ("example_hello", Link::Shared),
        ("example_hello_static", Link::Static),
    ] {
        let example = example.clone();
        trials.push(Trial::test(name, move || {
            c_test(&example, Some("0x2a\n"), link)
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}
