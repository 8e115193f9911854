# reject: insn 3: reads fp0-8, a stack byte not written on this path
mov %r1, %r10
add %r1, -8
mov %r2, 8
call 6
exit
