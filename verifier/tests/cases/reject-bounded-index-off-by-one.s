# reject: insn 3: r1 = ctx+0..=+57: access of 8 bytes at offset 0..=57 is outside the 64-byte context
# context: fixed 64
ldxb %r2, [%r1]
jgt %r2, 57, +3
add %r1, %r2
ldxdw %r0, [%r1]
exit
mov %r0, 0
exit
