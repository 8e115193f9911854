# reject: insn 3: r1 = ctx+0..=+63: access of 8 bytes at offset 0..=63
# context: fixed 64
ldxdw %r2, [%r1]
and %r2, 0x3f
add %r1, %r2
ldxdw %r0, [%r1]
exit
