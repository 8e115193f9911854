# reject: insn 9: `map_update_elem` changes map `config`, which is read-only to programs
# map: config 2 4 8 readonly
stw [%r10-4], 0
stdw [%r10-16], 1
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
mov %r0, 0
exit
