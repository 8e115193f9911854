# reject: insn 3: r1 = ctx+0..=+15: access of 1 bytes at offset 8..=23 is outside the 16-byte context
# context: fixed 16
ldxb %r2, [%r1]
and %r2, 15
add %r1, %r2
ldxb %r0, [%r1+8]
exit
