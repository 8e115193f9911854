# reject: insn 5: reads fp0-256, a stack byte not written on this path (the offset is variable)
ldxb %r3, [%r1]
stdw [%r10-8], 0
mov %r5, %r10
add %r5, -256
add %r5, %r3
ldxb %r0, [%r5]
exit
