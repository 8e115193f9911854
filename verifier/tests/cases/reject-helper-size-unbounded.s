# reject: insn 3: argument 2 of `get_current_comm` must be a size of at most
ldxdw %r2, [%r1]
mov %r1, %r10
add %r1, -16
call 16
mov %r0, 0
exit
