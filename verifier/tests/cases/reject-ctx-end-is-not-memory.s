# reject: insn 2: r3 = ctx_end is not memory a program may access
mov %r3, %r1
add %r3, %r2
ldxb %r0, [%r3]
exit
