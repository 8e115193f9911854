//! Tells the C tests which target they compile for (the `cc` crate wants it outside build
//! scripts too).

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=OXBPF_CAPI_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
