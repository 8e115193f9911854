# reject: insn 11: comparing map_value0+8 with fp0-16 would leak an address
# One past a map value may be where the stack starts: comparing them tells the layout.
# map: a 2 4 8
mov %r6, 0
stxw [%r10-4], %r6
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, +4
add %r0, 8
mov %r3, %r10
add %r3, -16
jne %r0, %r3, +0
mov %r0, 0
exit
