# reject: insn 3: argument 2 of `map_lookup_elem` must be a pointer to 4 bytes, but r2 = 0
# map: counts 1 4 8
lddw %r1, map_fd 0
mov %r2, 0
call 1
mov %r0, 0
exit
