# reject: insn 3: r0 = scalar is not a pointer
mov %r1, 1
mov %r2, 2
call 1000
ldxb %r0, [%r0]
exit
