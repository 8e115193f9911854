# reject: invalid access to xdp_md (off=12 size=4, write): `ingress_ifindex` is read-only
# context: type xdp
mov %r2, 1
stxw [%r1+12], %r2
mov %r0, 2
exit
