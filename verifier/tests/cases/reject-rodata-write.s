# reject: insn 2: r1 = map_value0: map `.rodata` is read-only to programs
# map: .rodata 2 4 8 readonly
lddw %r1, map_value 0
stdw [%r1], 1
mov %r0, 0
exit
