# reject: insn 5: argument 1 of `map_lookup_elem` is map `events` of type 27
# map: events 27 0 0
stdw [%r10-8], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -8
call 1
mov %r0, 0
exit
