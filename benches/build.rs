//! Compiles the workloads' C sources natively, for the native baseline of the benches.

fn main() {
    let names = ["log2", "switch", "prime", "copy", "strcmp", "const", "sum2"];
    let mut build = cc::Build::new();
    for n in names {
        let path = format!("workloads/{n}.c");
        println!("cargo:rerun-if-changed={path}");
        build.file(path);
    }
    println!("cargo:rerun-if-changed=workloads/common.h");
    // -O2 like the eBPF build; no auto-vectorisation and no memcpy/strcmp idiom rewriting, so the
    // native code runs the same byte-by-byte algorithm as the eBPF code.
    build
        .opt_level(2)
        .flag_if_supported("-fno-tree-vectorize")
        .flag_if_supported("-fno-tree-loop-distribute-patterns")
        .flag_if_supported("-fno-builtin")
        .compile("oxbpf_workloads");
}
