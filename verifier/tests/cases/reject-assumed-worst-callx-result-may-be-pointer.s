# reject: insn 3: r0 is not set at exit
# unknown-helpers: assume-worst
# A `callx` through a number from memory may reach `map_lookup_elem`, whose result is a
# pointer: it may not be taken for a number.
jlt %r2, 8, +3
ldxdw %r6, [%r1]
call %r6
exit
mov %r0, 0
exit
