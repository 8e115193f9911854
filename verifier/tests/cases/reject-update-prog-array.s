# reject: insn 9: argument 1 of `map_update_elem` is map `jump` of type 3
# map: jump 3 4 4
stw [%r10-4], 0
stw [%r10-8], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 2
mov %r0, 0
exit
