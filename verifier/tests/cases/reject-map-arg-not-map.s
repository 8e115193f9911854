# reject: insn 4: argument 1 of `map_lookup_elem` must be a map, but r1 = fp0-4
stw [%r10-4], 0
mov %r1, %r10
add %r1, -4
mov %r2, %r1
call 1
mov %r0, 0
exit
