# reject: insn 2: a call through a register whose helper id is not a known constant
# `callx` through a number read from memory may reach any helper.
jlt %r2, 8, +3
ldxdw %r6, [%r1]
call %r6
exit
mov %r0, 0
exit
