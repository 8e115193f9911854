# reject: insn 6: argument 1 of `map_push_elem` is map `h` of type 1
# map: h 1 4 8
stdw [%r10-8], 1
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -8
mov %r3, 0
call 87
mov %r0, 0
exit
