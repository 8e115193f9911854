# reject: insn 2: r1 is read before it is written
mov %r1, 5
call local f
mov %r0, %r1
exit
f:
mov %r0, 0
exit
