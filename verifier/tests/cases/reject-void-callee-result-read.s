# reject: insn 1: r0 is read before it is written
call local f
mov %r1, %r0
mov %r0, 0
exit
f:
mov %r1, 0
exit
