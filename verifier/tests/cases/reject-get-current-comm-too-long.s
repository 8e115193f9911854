# reject: insn 3: r1 = fp0-16: access of 32 bytes at offset -16 is outside the stack frame
mov %r1, %r10
add %r1, -16
mov %r2, 32
call 16
mov %r0, 0
exit
