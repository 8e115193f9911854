# reject: insn 3: passing r2 = fp0 to `loop` as a number would leak an address
mov %r1, 1
mov %r2, %r10
mov %r4, 0
call 181
exit
