//! Compiles a program into a native relocatable object (cranelift-object).

use super::AotError;
use super::header::{Header, SECTION};
use crate::isa::{Target, build};
use crate::translate::define_program;
use cranelift_module::{Linkage, default_libcall_names};
use cranelift_object::{ObjectBuilder, ObjectModule};
use object::SectionKind;
use oxbpf_core::Program;

/// Compiles `program` for `target` into an ELF relocatable object whose `.oxbpf` section records
/// the architecture, CPU features, oxbpf version, the program and its hash.
pub fn compile(program: &Program, target: Target) -> Result<Vec<u8>, AotError> {
    let isa = build(target, true).map_err(AotError::Compile)?;
    let arch = isa.triple().architecture.to_string();
    let features = isa
        .isa_flags()
        .iter()
        .filter(|v| v.name.starts_with("has_") && v.as_bool() == Some(true))
        .map(|v| v.name.to_owned())
        .collect();
    let header = Header::new(program, &arch, features);
    let builder = ObjectBuilder::new(isa, "oxbpf_aot", default_libcall_names())
        .map_err(|e| AotError::Compile(e.to_string()))?;
    let mut module = ObjectModule::new(builder);
    define_program(&mut module, program, Linkage::Export).map_err(AotError::Compile)?;
    let mut product = module.finish();
    let obj = &mut product.object;
    let section = obj.add_section(
        Vec::new(),
        SECTION.as_bytes().to_vec(),
        SectionKind::ReadOnlyData,
    );
    obj.append_section_data(section, &header.encode(), 8);
    product.emit().map_err(|e| AotError::Compile(e.to_string()))
}
