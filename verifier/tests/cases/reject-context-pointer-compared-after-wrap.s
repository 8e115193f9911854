# reject: insn 15: comparing ctx-9223372036854775808..=+9223372036854775807 with ctx (an offset may wrap around address 0)
stdw [%r1+0], 0
ldxdw %r0, [%r1+0]
lddw %r5, 0x8000000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x4000000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x2000000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x1000000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x800000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x400000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x200000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x100000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x80000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x40000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x20000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x10000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x8000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x4000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x2000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x1000000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x800000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x400000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x200000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x100000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x80000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x40000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x20000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x10000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x8000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x4000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x2000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x1000000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x800000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x400000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x200000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x100000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x80000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x40000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x20000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x10000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x8000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x4000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x2000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x1000000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x800000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x400000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x200000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x100000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x80000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x40000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x20000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x10000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x8000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x4000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x2000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x1000
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x800
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x400
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x200
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x100
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x80
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x40
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x20
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x10
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x8
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x4
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x2
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
lddw %r5, 0x1
or %r0, %r5
mov %r3, %r1
sub %r3, %r0
jgt %r3, %r1, +1
stxdw [%r1+0], %r0
ldxdw %r0, [%r1+0]
exit
