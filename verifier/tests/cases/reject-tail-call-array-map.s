# reject: insn 3: argument 2 of `tail_call` is map `progs` of type 2, which `tail_call` does not take
# map: progs 2 4 8
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit
